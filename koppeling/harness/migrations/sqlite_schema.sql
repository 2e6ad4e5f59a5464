CREATE TABLE clock (
	scope VARCHAR(32) NOT NULL, 
	frozen BOOLEAN NOT NULL, 
	frozen_at DATETIME, 
	offset_seconds FLOAT NOT NULL, 
	PRIMARY KEY (scope)
);

CREATE TABLE faults (
	id INTEGER NOT NULL, 
	service VARCHAR(32) NOT NULL, 
	path VARCHAR(512) NOT NULL, 
	method VARCHAR(8), 
	fault VARCHAR(32) NOT NULL, 
	delay_ms INTEGER NOT NULL, 
	code VARCHAR(64), 
	remaining INTEGER, 
	school VARCHAR(16), 
	PRIMARY KEY (id)
);

CREATE INDEX ix_faults_service ON faults (service);

CREATE TABLE journal (
	id INTEGER NOT NULL, 
	service VARCHAR(32) NOT NULL, 
	at DATETIME NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	method VARCHAR(8), 
	path VARCHAR(512), 
	status INTEGER, 
	operation VARCHAR(64), 
	school VARCHAR(16), 
	correlation_id VARCHAR(64), 
	summary VARCHAR(512), 
	request TEXT, 
	response TEXT, 
	data TEXT, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_journal_correlation_id ON journal (correlation_id);

CREATE INDEX ix_journal_school ON journal (school);

CREATE INDEX ix_journal_service ON journal (service);

CREATE TABLE koppeling_generation (
	scope VARCHAR(64) NOT NULL, 
	value INTEGER NOT NULL, 
	PRIMARY KEY (scope)
);

CREATE TABLE koppeling_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	made_by VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE ks_aanvragen (
	id VARCHAR(40) NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	type_dashboard VARCHAR(64) NOT NULL, 
	sleutel_hash VARCHAR(64) NOT NULL, 
	sleutel VARCHAR(64), 
	sleutel_masker VARCHAR(16) NOT NULL, 
	beheerder_email VARCHAR(254) NOT NULL, 
	idempotency_key VARCHAR(128), 
	modus VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	reden TEXT, 
	controles TEXT, 
	school_naam VARCHAR(128), 
	ontvangen_op DATETIME NOT NULL, 
	besloten_op DATETIME, 
	mail_status VARCHAR(16) NOT NULL, 
	mail_message_id VARCHAR(256), 
	PRIMARY KEY (id), 
	UNIQUE (idempotency_key)
);

CREATE INDEX ix_ks_aanvragen_school ON ks_aanvragen (school);

CREATE TABLE ks_modus (
	school VARCHAR(16) NOT NULL, 
	modus VARCHAR(16) NOT NULL, 
	PRIMARY KEY (school)
);

CREATE TABLE las_scholen (
	id INTEGER NOT NULL, 
	las VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	schooljaar VARCHAR(9) NOT NULL, 
	naam VARCHAR(128) NOT NULL, 
	seed INTEGER NOT NULL, 
	samengestelde_groepen BOOLEAN NOT NULL, 
	profiel VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	changed_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_las_school UNIQUE (las, brincode, dependancecode)
);

CREATE TABLE leases (
	name VARCHAR(64) NOT NULL, 
	holder VARCHAR(128), 
	expires_at DATETIME, 
	PRIMARY KEY (name)
);

CREATE TABLE mailbox_counters (
	name VARCHAR(32) NOT NULL, 
	value INTEGER NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE mailbox_messages (
	seq INTEGER NOT NULL, 
	id VARCHAR(32) NOT NULL, 
	message_id VARCHAR(512) NOT NULL, 
	created DATETIME NOT NULL, 
	subject TEXT NOT NULL, 
	from_json TEXT NOT NULL, 
	to_json TEXT NOT NULL, 
	cc_json TEXT NOT NULL, 
	bcc_json TEXT NOT NULL, 
	reply_to_json TEXT NOT NULL, 
	size INTEGER NOT NULL, 
	inline INTEGER NOT NULL, 
	attachments INTEGER NOT NULL, 
	snippet TEXT NOT NULL, 
	search_text TEXT NOT NULL, 
	tags TEXT NOT NULL, 
	tag_keys TEXT NOT NULL, 
	read BOOLEAN NOT NULL, 
	raw BLOB NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (id)
);

CREATE TABLE sk8_koppelingen (
	id VARCHAR(40) NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	contact_email VARCHAR(254) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	aangevraagd_op DATETIME NOT NULL, 
	geactiveerd_op DATETIME, 
	ingetrokken_op DATETIME, 
	sleutel_masker VARCHAR(16), 
	aantal_sleutels INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_sk8_koppelingen_school ON sk8_koppelingen (school);

CREATE TABLE sk8_leerlingen (
	id INTEGER NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	voornaam VARCHAR(128) NOT NULL, 
	achternaam VARCHAR(128) NOT NULL, 
	geboortedatum DATE NOT NULL, 
	groep VARCHAR(64) NOT NULL, 
	leerlingnummer VARCHAR(256), 
	aangemaakt_op DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sk8_leerlingnummer UNIQUE (school, leerlingnummer)
);

CREATE INDEX ix_sk8_leerlingen_school ON sk8_leerlingen (school);

CREATE TABLE sk8_scholen (
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	niet_gekoppeld VARCHAR(16) NOT NULL, 
	aangemaakt_op DATETIME NOT NULL, 
	PRIMARY KEY (school)
);

CREATE TABLE tc_afnames (
	id VARCHAR(32) NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	leerlingnummer VARCHAR(64) NOT NULL, 
	toets VARCHAR(64) NOT NULL, 
	ruwe_score INTEGER NOT NULL, 
	afnamedatum DATE NOT NULL, 
	groep INTEGER NOT NULL, 
	ingevoerd_op DATETIME NOT NULL, 
	eerst_genormeerd_op DATETIME, 
	genormeerd_op DATETIME, 
	normeringen INTEGER NOT NULL, 
	normering TEXT, 
	doorsturing VARCHAR(32), 
	PRIMARY KEY (id)
);

CREATE INDEX ix_tc_afnames_school ON tc_afnames (school);

CREATE TABLE tc_dashboard_koppelingen (
	school VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	type_dashboard VARCHAR(64) NOT NULL, 
	sleutel VARCHAR(64) NOT NULL, 
	beheerder_email VARCHAR(254) NOT NULL, 
	idempotency_key VARCHAR(64) NOT NULL, 
	aanvraag_id VARCHAR(64), 
	aangevraagd_op DATETIME NOT NULL, 
	geactiveerd_op DATETIME, 
	gedeactiveerd_op DATETIME, 
	reden TEXT, 
	laatste_fout TEXT, 
	PRIMARY KEY (school)
);

CREATE TABLE tc_dashboard_perioden (
	id INTEGER NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	start DATETIME NOT NULL, 
	eind DATETIME, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_tc_dashboard_perioden_school ON tc_dashboard_perioden (school);

CREATE TABLE tc_groepen (
	school VARCHAR(16) NOT NULL, 
	"key" VARCHAR(256) NOT NULL, 
	naam VARCHAR(128) NOT NULL, 
	jaargroep VARCHAR(8), 
	samengesteld BOOLEAN NOT NULL, 
	actief BOOLEAN NOT NULL, 
	bijgewerkt_op DATETIME NOT NULL, 
	PRIMARY KEY (school, "key")
);

CREATE TABLE tc_las_koppelingen (
	school VARCHAR(16) NOT NULL, 
	las VARCHAR(16) NOT NULL, 
	schooljaar VARCHAR(9) NOT NULL, 
	sleutel VARCHAR(64) NOT NULL, 
	klantcode VARCHAR(64) NOT NULL, 
	klantnaam VARCHAR(64) NOT NULL, 
	opgeslagen_op DATETIME NOT NULL, 
	actief BOOLEAN NOT NULL, 
	laatste_import_op DATETIME, 
	laatste_import TEXT, 
	laatste_fout TEXT, 
	PRIMARY KEY (school)
);

CREATE TABLE tc_leerkrachten (
	school VARCHAR(16) NOT NULL, 
	"key" VARCHAR(256) NOT NULL, 
	achternaam VARCHAR(128) NOT NULL, 
	voorvoegsel VARCHAR(32), 
	roepnaam VARCHAR(128), 
	emailadres VARCHAR(254), 
	groepen TEXT, 
	actief BOOLEAN NOT NULL, 
	bijgewerkt_op DATETIME NOT NULL, 
	PRIMARY KEY (school, "key")
);

CREATE TABLE tc_leerlingen (
	school VARCHAR(16) NOT NULL, 
	leerlingnummer VARCHAR(256) NOT NULL, 
	achternaam VARCHAR(128) NOT NULL, 
	voorvoegsel VARCHAR(32), 
	roepnaam VARCHAR(128), 
	geboortedatum DATE, 
	geslacht VARCHAR(1), 
	jaargroep VARCHAR(8), 
	groep_key VARCHAR(256), 
	actief BOOLEAN NOT NULL, 
	bijgewerkt_op DATETIME NOT NULL, 
	vertrokken_op DATETIME, 
	PRIMARY KEY (school, leerlingnummer)
);

CREATE TABLE tc_scholen (
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	naam VARCHAR(128), 
	aangemaakt_op DATETIME NOT NULL, 
	PRIMARY KEY (school)
);

CREATE TABLE las_groepen (
	id INTEGER NOT NULL, 
	school_id INTEGER, 
	"key" VARCHAR(64) NOT NULL, 
	naam VARCHAR(64) NOT NULL, 
	jaargroep VARCHAR(4), 
	samengesteld BOOLEAN NOT NULL, 
	omschrijving VARCHAR(256), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_las_groep UNIQUE (school_id, "key"), 
	FOREIGN KEY(school_id) REFERENCES las_scholen (id) ON DELETE CASCADE
);

CREATE INDEX ix_las_groepen_school_id ON las_groepen (school_id);

CREATE TABLE las_leerkrachten (
	id INTEGER NOT NULL, 
	school_id INTEGER, 
	"key" VARCHAR(64) NOT NULL, 
	roepnaam VARCHAR(64), 
	voorvoegsel VARCHAR(10), 
	achternaam VARCHAR(200) NOT NULL, 
	emailadres VARCHAR(256), 
	groepen JSON NOT NULL, 
	samengestelde_groepen JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(school_id) REFERENCES las_scholen (id) ON DELETE CASCADE
);

CREATE INDEX ix_las_leerkrachten_school_id ON las_leerkrachten (school_id);

CREATE TABLE las_leerlingen (
	id INTEGER NOT NULL, 
	school_id INTEGER, 
	leerlingnummer VARCHAR(64) NOT NULL, 
	roepnaam VARCHAR(64) NOT NULL, 
	voorvoegsel VARCHAR(10), 
	achternaam VARCHAR(200) NOT NULL, 
	geboortedatum DATE, 
	geslacht VARCHAR(1), 
	jaargroep VARCHAR(4), 
	groep VARCHAR(64), 
	samengestelde_groepen JSON NOT NULL, 
	bsn VARCHAR(9), 
	voornamen VARCHAR(200), 
	voorletters VARCHAR(6), 
	eckid VARCHAR(256), 
	instroomdatum DATE, 
	mutatiedatum DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_las_leerling UNIQUE (school_id, leerlingnummer), 
	FOREIGN KEY(school_id) REFERENCES las_scholen (id) ON DELETE CASCADE
);

CREATE INDEX ix_las_leerlingen_school_id ON las_leerlingen (school_id);

CREATE TABLE las_sleutels (
	id INTEGER NOT NULL, 
	school_id INTEGER, 
	klantcode VARCHAR(64) NOT NULL, 
	klantnaam VARCHAR(64) NOT NULL, 
	key_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(school_id) REFERENCES las_scholen (id) ON DELETE CASCADE
);

CREATE INDEX ix_las_sleutels_school_id ON las_sleutels (school_id);

CREATE TABLE sk8_leerlingnummer_historie (
	id INTEGER NOT NULL, 
	leerling_id INTEGER NOT NULL, 
	oud VARCHAR(256), 
	nieuw VARCHAR(256), 
	gewijzigd_op DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(leerling_id) REFERENCES sk8_leerlingen (id)
);

CREATE INDEX ix_sk8_leerlingnummer_historie_leerling_id ON sk8_leerlingnummer_historie (leerling_id);

CREATE TABLE sk8_resultaten (
	id INTEGER NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	"key" VARCHAR(256) NOT NULL, 
	leerlingid VARCHAR(256) NOT NULL, 
	leerlingid_norm VARCHAR(256) NOT NULL, 
	leerling_id INTEGER, 
	toetscode VARCHAR(256) NOT NULL, 
	toetsnaam VARCHAR(128), 
	afnamedatum DATE NOT NULL, 
	gegevens TEXT NOT NULL, 
	ontvangen_op DATETIME NOT NULL, 
	bijgewerkt_op DATETIME NOT NULL, 
	aantal_ontvangen INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sk8_resultaat_key UNIQUE (school, "key"), 
	FOREIGN KEY(leerling_id) REFERENCES sk8_leerlingen (id)
);

CREATE INDEX ix_sk8_resultaten_leerling ON sk8_resultaten (leerling_id);

CREATE INDEX ix_sk8_resultaten_parked ON sk8_resultaten (school, leerlingid_norm);

CREATE TABLE sk8_sleutels (
	id INTEGER NOT NULL, 
	koppeling_id VARCHAR(40) NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	masker VARCHAR(16) NOT NULL, 
	uitgegeven_op DATETIME NOT NULL, 
	ingetrokken_op DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(koppeling_id) REFERENCES sk8_koppelingen (id)
);

CREATE INDEX ix_sk8_sleutels_school_live ON sk8_sleutels (school, ingetrokken_op);

CREATE TABLE tc_outbox (
	id INTEGER NOT NULL, 
	afname_id VARCHAR(32) NOT NULL, 
	school VARCHAR(16) NOT NULL, 
	normering_nr INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	claimed_by VARCHAR(64), 
	claimed_until DATETIME, 
	reden TEXT, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(afname_id) REFERENCES tc_afnames (id)
);

CREATE INDEX ix_tc_outbox_afname_id ON tc_outbox (afname_id);

CREATE INDEX ix_tc_outbox_due ON tc_outbox (status, next_attempt_at);


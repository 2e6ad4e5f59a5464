-- A store made by koppeling 0.1.0 with SCHEMA_VERSION 2 (the release before Alembic, commit b7bba90):
-- `Harness(HarnessConfig(port_base=0, state_dir=…))` + `koppeling.demo.seed_demo(core)`, then
-- `sqlite3 state.sqlite .dump`. Synthetic demo data only. Used by tests/postgres/test_migrations.py.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE koppeling_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	made_by VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO koppeling_schema VALUES(1,2,'koppeling 0.1.0');
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
INSERT INTO journal VALUES(1,'parnassys','2026-12-02 00:18:33.598341','http','POST','/api/scholen',201,NULL,'99DE-00','4f22fc8d3950446eb4cc343f9a325f56','POST /api/scholen -> 201','{"brincode": "99DE", "dependancecode": "00", "naam": "OBS De Regenboog (demo)", "aantal_leerlingen": 8, "seed": 2026}',replace('{"las":"parnassys","brincode":"99DE","dependancecode":"00","schooljaar":"2026-2027","naam":"OBS De Regenboog (demo)","seed":2026,"samengestelde_groepen":false,"gewijzigd_op":"2026-12-02T00:18:33.167599+00:00","groepen":[{"key":"G1A","naam":"Dassen","jaargroep":"1","samengesteld":false,"omschrijving":null},{"key":"G2A","naam":"Koala''s","jaargroep":"2","samengesteld":false,"omschrijving":null},{"key":"G3A","naam":"Wolven","jaargroep":"3","samengesteld":false,"omschrijving":null},{"key":"G4A","naam":"Uilen","jaargroep":"4","samengesteld":false,"omschrijving":null},{"key":"G5A","naam":"Kikkers","jaargroep":"5","samengesteld":false,"omschrijving":null},{"key":"G6A","naam":"Herten","jaargroep":"6","samengesteld":false,"omschrijving":null},{"key":"G7A","naam":"Lieveheersbeestjes","jaargroep":"7","samengesteld":false,"omschrijving":null},{"key":"G8A","naam":"Zwaluwen","jaargroep":"8","samengesteld":false,"omschrijving":null},{"key":"SG1","naam":"Plusklas","jaargroep":null,"samengesteld":true,"omschrijving":"Leerlingen met een verrijkingsprogramma"},{"key":"SG2","naam":"Taalklas","jaargroep":null,"samengesteld":true,"omschrijving":"Extra ondersteuning Nederlandse taal"}],"leerlingen":[{"leerlingnummer":"0629771961","roepnaam":"Charlotte","voorvoegsel":null,"achternaam":"Uphus","geboortedatum":"2022-05-15","geslacht":"2","jaargroep":"1","groep":"G1A","samengestelde_groepen":[],"bsn":"999939312","bsn_ondwnr_4":"9312","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"0346705521","roepnaam":"Luc","voorvoegsel":"van de","achternaam":"Wal","geboortedatum":"2021-02-26","geslacht":"1","jaargroep":"2","groep":"G2A","samengestelde_groepen":[],"bsn":"999916063","bsn_ondwnr_4":"6063","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"7212920593","roepnaam":"Nathan","voorvoegsel":null,"achternaam":"Greij","geboortedatum":"2020-01-17","geslacht":"1","jaargroep":"3","groep":"G3A","samengestelde_groepen":[],"bsn":"999965086","bsn_ondwnr_4":"5086","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"7752999648","roepnaam":"Tijs","voorvoegsel":null,"achternaam":"Nek","geboortedatum":"2019-06-21","geslacht":"1","jaargroep":"4","groep":"G4A","samengestelde_groepen":[],"bsn":"999912501","bsn_ondwnr_4":"2501","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"5530208220","roepnaam":"Sterre","voorvoegsel":"van","achternaam":"Boven","geboortedatum":"2017-12-13","geslacht":"2","jaargroep":"5","groep":"G5A","samengestelde_groepen":["SG1"],"bsn":"999994608","bsn_ondwnr_4":"4608","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"6275258690","roepnaam":"Sebastiaan","voorvoegsel":"van der","achternaam":"Strigt","geboortedatum":"2016-11-17","geslacht":"1","jaargroep":"6","groep":"G6A","samengestelde_groepen":[],"bsn":"999965335","bsn_ondwnr_4":"5335","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"8054925374","roepnaam":"Sam","voorvoegsel":"van","achternaam":"Tours","geboortedatum":"2016-04-22","geslacht":"2","jaargroep":"7","groep":"G7A","samengestelde_groepen":[],"bsn":"999985954","bsn_ondwnr_4":"5954","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"},{"leerlingnummer":"8698924284","roepnaam":"Robin","voorvoegsel":"van","achternaam":"Gastel","geboortedatum":"2015-01-24","geslacht":"1","jaargroep":"8","groep":"G8A","samengestelde_groepen":[],"bsn":"999921137","bsn_ondwnr_4":"1137","mutatiedatum":"2026-12-02T00:18:33.167599+00:00"}],"leerkrachten":[{"key":"LK001","roepnaam":"Evie","voorvoegsel":null,"achternaam":"Adriaansen","emailadres":"e.adriaansen@99de00.school.example","groepen":["G1A"],"samengestelde_groepen":[]},{"key":"LK002","roepnaam":"Lucy","voorvoegsel":null,"achternaam":"Everde","emailadres":"l.everde@99de00.school.example","groepen":["G2A"],"samengestelde_groepen":[]},{"key":"LK003","roepnaam":"Cato","voorvoegsel":null,"achternaam":"Simonis","emailadres":"c.simonis@99de00.school.example","groepen":["G3A"],"samengestelde_groepen":[]},{"key":"LK004","roepnaam":"Robin","voorvoegsel":null,"achternaam":"Ghoerle","emailadres":"r.ghoerle@99de00.school.example","groepen":["G4A"],"samengestelde_groepen":[]},{"key":"LK005","roepnaam":"Julia","voorvoegsel":null,"achternaam":"Backer","emailadres":"j.backer@99de00.school.example","groepen":["G5A"],"samengestelde_groepen":[]},{"key":"LK006","roepnaam":"Sil","voorvoegsel":"van","achternaam":"Susa","emailadres":"s.vansusa@99de00.school.example","groepen":["G6A"],"samengestelde_groepen":[]},{"key":"LK007","roepnaam":"Olaf","voorvoegsel":null,"achternaam":"Timmermans","emailadres":"o.timmermans@99de00.school.example","groepen":["G7A"],"samengestelde_groepen":[]},{"key":"LK008","roepnaam":"Emma","voorvoegsel":"de","achternaam":"Swart","emailadres":"e.deswart@99de00.school.example","groepen":["G8A"],"samengestelde_groepen":[]},{"key":"LK009","roepnaam":"Fatima","voorvoegsel":null,"achternaam":"Werdes","emailadres":"f.werdes@99de00.school.example","groepen":[],"samengestelde_groepen":["SG1","SG2"]}]}\n','\n',char(10)),'{"duration_ms": 485.33}');
INSERT INTO journal VALUES(2,'parnassys','2026-12-02 00:18:33.723836','http','POST','/api/scholen/99DE/00/sleutels',201,NULL,'99DE-00','c386fbf416d34b3e80b83f365c94abc2','POST /api/scholen/99DE/00/sleutels -> 201','{"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"}',replace('{"autorisatiesleutel":"pns_XQL8…","klantcode":"boom-testcentrum","klantnaam":"Boom testcentrum","brincode":"99DE","dependancecode":"00"}\n','\n',char(10)),'{"duration_ms": 61.49}');
INSERT INTO journal VALUES(3,'schoolkr8','2026-12-02 00:18:33.764835','http','GET','/api/scholen/99DE/00/leerlingen',200,NULL,'99DE-00','13da695cefb345d9bdf92226c277785f','GET /api/scholen/99DE/00/leerlingen -> 200',NULL,replace('{"leerlingen":[]}\n','\n',char(10)),'{"duration_ms": 4.92}');
INSERT INTO journal VALUES(4,'schoolkr8','2026-12-02 00:18:33.868446','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','5123bbfebb824f97927280b8610121cb','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Charlotte", "achternaam": "Uphus", "geboortedatum": "2022-05-15", "groep": "Dassen"}',replace('{"id":1,"brincode":"99DE","dependancecode":"00","voornaam":"Charlotte","achternaam":"Uphus","geboortedatum":"2022-05-15","groep":"Dassen","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 53.34}');
INSERT INTO journal VALUES(5,'schoolkr8','2026-12-02 00:18:33.921856','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','eb481f0faaad47c881ff1c7c779cd319','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Luc", "achternaam": "van de Wal", "geboortedatum": "2021-02-26", "groep": "Koala''s"}',replace('{"id":2,"brincode":"99DE","dependancecode":"00","voornaam":"Luc","achternaam":"van de Wal","geboortedatum":"2021-02-26","groep":"Koala''s","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 32.32}');
INSERT INTO journal VALUES(6,'schoolkr8','2026-12-02 00:18:33.971854','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','a9b62c1acc2a4fa89e823adc2ecedb09','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Nathan", "achternaam": "Greij", "geboortedatum": "2020-01-17", "groep": "Wolven"}',replace('{"id":3,"brincode":"99DE","dependancecode":"00","voornaam":"Nathan","achternaam":"Greij","geboortedatum":"2020-01-17","groep":"Wolven","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 8.5}');
INSERT INTO journal VALUES(7,'schoolkr8','2026-12-02 00:18:34.058445','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','47c47ccb75c44111bab09914435b9a6f','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Tijs", "achternaam": "Nek", "geboortedatum": "2019-06-21", "groep": "Uilen"}',replace('{"id":4,"brincode":"99DE","dependancecode":"00","voornaam":"Tijs","achternaam":"Nek","geboortedatum":"2019-06-21","groep":"Uilen","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 50.72}');
INSERT INTO journal VALUES(8,'schoolkr8','2026-12-02 00:18:34.119393','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','9d3695795a044875a0bfbbbe443de536','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Sterre", "achternaam": "van Boven", "geboortedatum": "2017-12-13", "groep": "Kikkers"}',replace('{"id":5,"brincode":"99DE","dependancecode":"00","voornaam":"Sterre","achternaam":"van Boven","geboortedatum":"2017-12-13","groep":"Kikkers","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 5.34}');
INSERT INTO journal VALUES(9,'schoolkr8','2026-12-02 00:18:34.167091','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','623c40d479ab41fb9b3c5562e27cb261','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Sebastiaan", "achternaam": "van der Strigt", "geboortedatum": "2016-11-17", "groep": "Herten"}',replace('{"id":6,"brincode":"99DE","dependancecode":"00","voornaam":"Sebastiaan","achternaam":"van der Strigt","geboortedatum":"2016-11-17","groep":"Herten","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 4.42}');
INSERT INTO journal VALUES(10,'schoolkr8','2026-12-02 00:18:34.282283','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','f9ffa324b9ad4acd8925d6aed6809ca4','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Sam", "achternaam": "van Tours", "geboortedatum": "2016-04-22", "groep": "Lieveheersbeestjes"}',replace('{"id":7,"brincode":"99DE","dependancecode":"00","voornaam":"Sam","achternaam":"van Tours","geboortedatum":"2016-04-22","groep":"Lieveheersbeestjes","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 58.43}');
INSERT INTO journal VALUES(11,'schoolkr8','2026-12-02 00:18:34.352251','http','POST','/api/scholen/99DE/00/leerlingen',201,NULL,'99DE-00','1037330c0265438a99d606a969f5e1f4','POST /api/scholen/99DE/00/leerlingen -> 201','{"voornaam": "Robin", "achternaam": "van Gastel", "geboortedatum": "2015-01-24", "groep": "Zwaluwen"}',replace('{"id":8,"brincode":"99DE","dependancecode":"00","voornaam":"Robin","achternaam":"van Gastel","geboortedatum":"2015-01-24","groep":"Zwaluwen","leerlingnummer":null}\n','\n',char(10)),'{"duration_ms": 54.32}');
INSERT INTO journal VALUES(12,'mailbox','2026-12-02 00:18:34.550000','email',NULL,NULL,NULL,NULL,NULL,NULL,'received mail for beheerder@regenboog.school.test',NULL,NULL,'{"ID": "KSLvZzOzDj4bt5q7jwry0D", "from": "demo@koppeling.test", "to": ["beheerder@regenboog.school.test"], "size": 705}');
INSERT INTO journal VALUES(13,'mailbox','2026-12-02 00:18:34.846613','email',NULL,NULL,NULL,NULL,'99DE-00',NULL,'mail to beheerder@regenboog.school.test: Welkom bij de demo: UWLR-sleutel van ParnasSys voor 99DE-00',NULL,NULL,'{"from": "ParnasSys (demo) <demo@koppeling.test>", "to": ["beheerder@regenboog.school.test"], "subject": "Welkom bij de demo: UWLR-sleutel van ParnasSys voor 99DE-00", "message_id": "<179617071439.2752.11292384451921577469@koppeling.test>"}');
CREATE TABLE las_scholen (
	id INTEGER NOT NULL, 
	las VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	schooljaar VARCHAR(9) NOT NULL, 
	naam VARCHAR(128) NOT NULL, 
	seed INTEGER NOT NULL, 
	samengestelde_groepen BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	changed_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_las_school UNIQUE (las, brincode, dependancecode)
);
INSERT INTO las_scholen VALUES(1,'parnassys','99DE','00','2026-2027','OBS De Regenboog (demo)',2026,0,'2026-12-02 00:18:33.167599','2026-12-02 00:18:33.167599');
CREATE TABLE sk8_scholen (
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	niet_gekoppeld VARCHAR(16) NOT NULL, 
	aangemaakt_op DATETIME NOT NULL, 
	PRIMARY KEY (school)
);
INSERT INTO sk8_scholen VALUES('99DE-00','99DE','00','parkeren','2026-12-02 00:18:33.831276');
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
INSERT INTO sk8_leerlingen VALUES(1,'99DE-00','Charlotte','Uphus','2022-05-15','Dassen',NULL,'2026-12-02 00:18:33.831276');
INSERT INTO sk8_leerlingen VALUES(2,'99DE-00','Luc','van de Wal','2021-02-26','Koala''s',NULL,'2026-12-02 00:18:33.884984');
INSERT INTO sk8_leerlingen VALUES(3,'99DE-00','Nathan','Greij','2020-01-17','Wolven',NULL,'2026-12-02 00:18:33.950021');
INSERT INTO sk8_leerlingen VALUES(4,'99DE-00','Tijs','Nek','2019-06-21','Uilen',NULL,'2026-12-02 00:18:34.009297');
INSERT INTO sk8_leerlingen VALUES(5,'99DE-00','Sterre','van Boven','2017-12-13','Kikkers',NULL,'2026-12-02 00:18:34.115755');
INSERT INTO sk8_leerlingen VALUES(6,'99DE-00','Sebastiaan','van der Strigt','2016-11-17','Herten',NULL,'2026-12-02 00:18:34.164187');
INSERT INTO sk8_leerlingen VALUES(7,'99DE-00','Sam','van Tours','2016-04-22','Lieveheersbeestjes',NULL,'2026-12-02 00:18:34.221158');
INSERT INTO sk8_leerlingen VALUES(8,'99DE-00','Robin','van Gastel','2015-01-24','Zwaluwen',NULL,'2026-12-02 00:18:34.340232');
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
CREATE TABLE ks_modus (
	school VARCHAR(16) NOT NULL, 
	modus VARCHAR(16) NOT NULL, 
	PRIMARY KEY (school)
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
INSERT INTO mailbox_messages VALUES(1,'KSLvZzOzDj4bt5q7jwry0D','179617071439.2752.11292384451921577469@koppeling.test','2026-12-02 00:18:34.550000','Welkom bij de demo: UWLR-sleutel van ParnasSys voor 99DE-00','{"Name":"ParnasSys (demo)","Address":"demo@koppeling.test"}','[{"Name":"","Address":"beheerder@regenboog.school.test"}]','{}','{}','{}',705,0,0,'Dit is de inbox van de beheerder van OBS De Regenboog (demo). De autorisatiesleutel voor de UWLR-koppeling tussen ParnasSys en het Boom testcentrum is: pns_XQL8O5RehDIBgnZ5fnRtQaAURNLpHa6G Hier komen ...','parnassys demo demo@koppeling.test welkom bij de demo: uwlr-sleutel van parnassys voor 99de-00 beheerder@regenboog.school.test demo@koppeling.test dit is de inbox van de beheerder van obs de regenboog demo . de autorisatiesleutel voor de uwlr-koppeling tussen parnassys en het boom testcentrum is: pns_xql8o5rehdibgnz5fnrtqaaurnlpha6g hier komen straks ook de autorisatiesleutel van schoolkr8 en de bevestiging van boom klantenservice binnen.','[]','|',0,X'52657475726e2d506174683a203c64656d6f406b6f7070656c696e672e746573743e0d0a46726f6d3a205061726e6173537973202864656d6f29203c64656d6f406b6f7070656c696e672e746573743e0d0a546f3a2062656865657264657240726567656e626f6f672e7363686f6f6c2e746573740d0a5375626a6563743a2057656c6b6f6d2062696a2064652064656d6f3a2055574c522d736c657574656c2076616e205061726e617353797320766f6f7220393944452d30300d0a446174653a205765642c2030322044656320323032362030303a31383a3334202d303030300d0a4d6573736167652d49443a203c3137393631373037313433392e323735322e3131323932333834343531393231353737343639406b6f7070656c696e672e746573743e0d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d227574662d38220d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20376269740d0a4d494d452d56657273696f6e3a20312e300d0a0d0a44697420697320646520696e626f782076616e206465206265686565726465722076616e204f425320446520526567656e626f6f67202864656d6f292e0d0a0d0a4465206175746f72697361746965736c657574656c20766f6f722064652055574c522d6b6f7070656c696e672074757373656e205061726e617353797320656e2068657420426f6f6d207465737463656e7472756d2069733a0d0a0d0a20202020706e735f58514c384f35526568444942676e5a35666e527451614155524e4c70486136470d0a0d0a48696572206b6f6d656e20737472616b73206f6f6b206465206175746f72697361746965736c657574656c2076616e205363686f6f6c6b723820656e206465206265766573746967696e672076616e20426f6f6d206b6c616e74656e736572766963652062696e6e656e2e0d0a');
CREATE TABLE mailbox_counters (
	name VARCHAR(32) NOT NULL, 
	value INTEGER NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO mailbox_counters VALUES('smtp_accepted',1);
INSERT INTO mailbox_counters VALUES('smtp_accepted_size',705);
CREATE TABLE tc_scholen (
	school VARCHAR(16) NOT NULL, 
	brincode VARCHAR(4) NOT NULL, 
	dependancecode VARCHAR(2) NOT NULL, 
	naam VARCHAR(128), 
	aangemaakt_op DATETIME NOT NULL, 
	PRIMARY KEY (school)
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
INSERT INTO las_groepen VALUES(1,1,'G1A','Dassen','1',0,NULL);
INSERT INTO las_groepen VALUES(2,1,'G2A','Koala''s','2',0,NULL);
INSERT INTO las_groepen VALUES(3,1,'G3A','Wolven','3',0,NULL);
INSERT INTO las_groepen VALUES(4,1,'G4A','Uilen','4',0,NULL);
INSERT INTO las_groepen VALUES(5,1,'G5A','Kikkers','5',0,NULL);
INSERT INTO las_groepen VALUES(6,1,'G6A','Herten','6',0,NULL);
INSERT INTO las_groepen VALUES(7,1,'G7A','Lieveheersbeestjes','7',0,NULL);
INSERT INTO las_groepen VALUES(8,1,'G8A','Zwaluwen','8',0,NULL);
INSERT INTO las_groepen VALUES(9,1,'SG1','Plusklas',NULL,1,'Leerlingen met een verrijkingsprogramma');
INSERT INTO las_groepen VALUES(10,1,'SG2','Taalklas',NULL,1,'Extra ondersteuning Nederlandse taal');
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
	mutatiedatum DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_las_leerling UNIQUE (school_id, leerlingnummer), 
	FOREIGN KEY(school_id) REFERENCES las_scholen (id) ON DELETE CASCADE
);
INSERT INTO las_leerlingen VALUES(1,1,'0629771961','Charlotte',NULL,'Uphus','2022-05-15','2','1','G1A','[]','999939312','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(2,1,'0346705521','Luc','van de','Wal','2021-02-26','1','2','G2A','[]','999916063','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(3,1,'7212920593','Nathan',NULL,'Greij','2020-01-17','1','3','G3A','[]','999965086','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(4,1,'7752999648','Tijs',NULL,'Nek','2019-06-21','1','4','G4A','[]','999912501','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(5,1,'5530208220','Sterre','van','Boven','2017-12-13','2','5','G5A','["SG1"]','999994608','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(6,1,'6275258690','Sebastiaan','van der','Strigt','2016-11-17','1','6','G6A','[]','999965335','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(7,1,'8054925374','Sam','van','Tours','2016-04-22','2','7','G7A','[]','999985954','2026-12-02 00:18:33.167599');
INSERT INTO las_leerlingen VALUES(8,1,'8698924284','Robin','van','Gastel','2015-01-24','1','8','G8A','[]','999921137','2026-12-02 00:18:33.167599');
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
INSERT INTO las_leerkrachten VALUES(1,1,'LK001','Evie',NULL,'Adriaansen','e.adriaansen@99de00.school.example','["G1A"]','[]');
INSERT INTO las_leerkrachten VALUES(2,1,'LK002','Lucy',NULL,'Everde','l.everde@99de00.school.example','["G2A"]','[]');
INSERT INTO las_leerkrachten VALUES(3,1,'LK003','Cato',NULL,'Simonis','c.simonis@99de00.school.example','["G3A"]','[]');
INSERT INTO las_leerkrachten VALUES(4,1,'LK004','Robin',NULL,'Ghoerle','r.ghoerle@99de00.school.example','["G4A"]','[]');
INSERT INTO las_leerkrachten VALUES(5,1,'LK005','Julia',NULL,'Backer','j.backer@99de00.school.example','["G5A"]','[]');
INSERT INTO las_leerkrachten VALUES(6,1,'LK006','Sil','van','Susa','s.vansusa@99de00.school.example','["G6A"]','[]');
INSERT INTO las_leerkrachten VALUES(7,1,'LK007','Olaf',NULL,'Timmermans','o.timmermans@99de00.school.example','["G7A"]','[]');
INSERT INTO las_leerkrachten VALUES(8,1,'LK008','Emma','de','Swart','e.deswart@99de00.school.example','["G8A"]','[]');
INSERT INTO las_leerkrachten VALUES(9,1,'LK009','Fatima',NULL,'Werdes','f.werdes@99de00.school.example','[]','["SG1", "SG2"]');
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
INSERT INTO las_sleutels VALUES(1,1,'boom-testcentrum','Boom testcentrum','6509c7af7fe3df371f133254d4cb821d57a389ea072d16d21f131670fa250500','2026-12-02 00:18:33.694359');
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
CREATE TABLE sk8_leerlingnummer_historie (
	id INTEGER NOT NULL, 
	leerling_id INTEGER NOT NULL, 
	oud VARCHAR(256), 
	nieuw VARCHAR(256), 
	gewijzigd_op DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(leerling_id) REFERENCES sk8_leerlingen (id)
);
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
CREATE INDEX ix_faults_service ON faults (service);
CREATE INDEX ix_journal_correlation_id ON journal (correlation_id);
CREATE INDEX ix_journal_school ON journal (school);
CREATE INDEX ix_journal_service ON journal (service);
CREATE INDEX ix_sk8_koppelingen_school ON sk8_koppelingen (school);
CREATE INDEX ix_sk8_leerlingen_school ON sk8_leerlingen (school);
CREATE INDEX ix_ks_aanvragen_school ON ks_aanvragen (school);
CREATE INDEX ix_tc_dashboard_perioden_school ON tc_dashboard_perioden (school);
CREATE INDEX ix_tc_afnames_school ON tc_afnames (school);
CREATE INDEX ix_las_groepen_school_id ON las_groepen (school_id);
CREATE INDEX ix_las_leerlingen_school_id ON las_leerlingen (school_id);
CREATE INDEX ix_las_leerkrachten_school_id ON las_leerkrachten (school_id);
CREATE INDEX ix_las_sleutels_school_id ON las_sleutels (school_id);
CREATE INDEX ix_sk8_sleutels_school_live ON sk8_sleutels (school, ingetrokken_op);
CREATE INDEX ix_sk8_leerlingnummer_historie_leerling_id ON sk8_leerlingnummer_historie (leerling_id);
CREATE INDEX ix_sk8_resultaten_leerling ON sk8_resultaten (leerling_id);
CREATE INDEX ix_sk8_resultaten_parked ON sk8_resultaten (school, leerlingid_norm);
CREATE INDEX ix_tc_outbox_afname_id ON tc_outbox (afname_id);
CREATE INDEX ix_tc_outbox_due ON tc_outbox (status, next_attempt_at);
COMMIT;

<?php
// UWLR Leerlinggegevens with PHP's own SoapClient, as a partner developer in PHP would call a LAS.
// Usage: php las_client.php WSDL ENDPOINT KEY KLANTCODE KLANTNAAM BRINCODE DEPENDANCECODE SCHOOLJAAR
// WSDL is the LAS's ?wsdl URL or the official UWLR_Leerlinggegevens_v2p2.wsdl (a file path: it
// imports ../Schemas/*.xsd); every call goes to ENDPOINT (the `location` option). Prints JSON:
// per call {ok, action, value} or {ok: false, action, fault: {code, string}, http_status}.
declare(strict_types=1);
require __DIR__ . '/common.php';

const STRUCTUUR_ACTION = 'http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens/structuur_verzoek';

[, $wsdl, $endpoint, $key, $klantcode, $klantnaam, $brincode, $dependancecode, $schooljaar] = $argv;

$client = uwlr_client($wsdl, $endpoint);
$client->__setSoapHeaders([autorisatie($key, $klantcode, $klantnaam)]);
$verzoek = [
    'schooljaar' => $schooljaar,
    'brincode' => $brincode,
    'dependancecode' => $dependancecode,
    'xsdversie' => '2.2',
];

/** What an antwoord holds: the data element's content, or which exception (geengegevens …). */
function content(object $antwoord, string $data): array
{
    if (isset($antwoord->$data)) {
        return ['kind' => $data, 'data' => $antwoord->$data];
    }
    return ['kind' => implode(',', array_keys(get_object_vars($antwoord))), 'data' => null];
}

function school(object $data): array
{
    $s = $data->school;
    return [
        'brincode' => $s->brincode ?? null,
        'dependancecode' => $s->dependancecode ?? null,
        'schooljaar' => $s->schooljaar ?? null,
    ];
}

function groepen(object $data): array
{
    $groepen = $data->groepen ?? null;
    return [
        'groepen' => array_map(fn($g) => $g->key, as_list($groepen->groep ?? null)),
        'samengestelde_groepen' => array_map(fn($g) => $g->key, as_list($groepen->samengestelde_groep ?? null)),
    ];
}

function leerlingen(object $data): array
{
    return array_map(fn($l) => [
        'key' => $l->key,
        'eckid' => $l->eckid ?? null,
        'voornamen' => $l->voornamen ?? null,
        'instroomdatum' => $l->instroomdatum ?? null,
        'achternaam' => $l->achternaam ?? null,
        'voorvoegsel' => $l->voorvoegsel ?? null,
        'roepnaam' => $l->roepnaam ?? null,
        'geboortedatum' => $l->geboortedatum ?? null,
        'groep' => isset($l->groep) ? $l->groep->key : null,
        'samengestelde_groepen' => array_map(
            fn($g) => $g->key,
            as_list($l->samengestelde_groepen->samengestelde_groep ?? null)
        ),
    ], as_list($data->leerlingen->leerling ?? null));
}

function leerkrachten(object $data): array
{
    return array_map(fn($k) => $k->key, as_list($data->leerkrachten->leerkracht ?? null));
}

$results = ['stubs' => stubs($client)];
$results['HaalLeerlinggegevens'] = attempt($client, fn() => $client->HaalLeerlinggegevens($verzoek), function ($a) {
    ['kind' => $kind, 'data' => $d] = content($a, 'leerlinggegevens');
    return $d === null ? ['kind' => $kind] : ['kind' => $kind, 'school' => school($d)] + groepen($d)
        + ['leerlingen' => leerlingen($d), 'leerkrachten' => leerkrachten($d)];
});
$results['HaalStructuur'] = attempt($client, fn() => $client->HaalStructuur($verzoek), function ($a) {
    ['kind' => $kind, 'data' => $d] = content($a, 'leerlinggegevens-structuur');
    return $d === null ? ['kind' => $kind] : ['kind' => $kind, 'school' => school($d)] + groepen($d);
});
// The getrapt follow-ups ask for the groups HaalStructuur listed, as a stepwise client does.
$structuur = $results['HaalStructuur']['value'] ?? [];
$refs = [
    'groep' => array_map(fn($k) => ['key' => $k], $structuur['groepen'] ?? []),
    'samengestelde_groep' => array_map(fn($k) => ['key' => $k], $structuur['samengestelde_groepen'] ?? []),
];
$perGroep = $verzoek + ['groepen' => $refs];
$results['HaalLeerlingen'] = attempt($client, fn() => $client->HaalLeerlingen($perGroep), function ($a) {
    ['kind' => $kind, 'data' => $d] = content($a, 'leerlinggegevens-leerlingen');
    return $d === null ? ['kind' => $kind] : ['kind' => $kind, 'school' => school($d), 'leerlingen' => leerlingen($d)];
});
$results['HaalLeerkrachten'] = attempt($client, fn() => $client->HaalLeerkrachten($perGroep), function ($a) {
    ['kind' => $kind, 'data' => $d] = content($a, 'leerlinggegevens-leerkrachten');
    return $d === null ? ['kind' => $kind] : ['kind' => $kind, 'school' => school($d), 'leerkrachten' => leerkrachten($d)];
});

// A key the LAS never issued (same shape as the real one).
$client->__setSoapHeaders([autorisatie(substr($key, 0, 4) . str_repeat('x', max(8, strlen($key) - 4)), $klantcode, $klantnaam)]);
$results['wrong_key'] = attempt($client, fn() => $client->HaalLeerlinggegevens($verzoek), fn($a) => content($a, 'leerlinggegevens')['kind']);

// The HaalLeerlinggegevens body sent with HaalStructuur's SOAPAction.
$client->__setSoapHeaders([autorisatie($key, $klantcode, $klantnaam)]);
$client->actionOverride = STRUCTUUR_ACTION;
$results['wrong_action'] = attempt($client, fn() => $client->HaalLeerlinggegevens($verzoek), fn($a) => content($a, 'leerlinggegevens')['kind']);

emit($results);

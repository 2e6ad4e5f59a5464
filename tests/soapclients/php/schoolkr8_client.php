<?php
// UWLR Leerresultaten (BrengLeerresultaten) with PHP's own SoapClient, as a toetsleverancier in
// PHP would send results to Schoolkr8.
// Usage: php schoolkr8_client.php WSDL ENDPOINT KEY KLANTCODE KLANTNAAM BRINCODE DEPENDANCECODE
//            SCHOOLJAAR LEERLINGID_SCORE LEERLINGID_OSO RESULTAAT_PREFIX
// WSDL is Schoolkr8's ?wsdl URL or the official UWLR_Leerresultaten_v2p2.wsdl (a file path);
// every call goes to ENDPOINT. Sends one plain score (resultaat@key PREFIX-score) and one
// osoresultaat (PREFIX-oso), then the same with a wrong key and with a wrong SOAPAction
// (PREFIX-wrong-key, PREFIX-wrong-action). Prints JSON per call, as las_client.php does.
declare(strict_types=1);
require __DIR__ . '/common.php';

[, $wsdl, $endpoint, $key, $klantcode, $klantnaam, $brincode, $dependancecode, $schooljaar,
    $leerlingScore, $leerlingOso, $prefix] = $argv;

$client = uwlr_client($wsdl, $endpoint);
$client->__setSoapHeaders([autorisatie($key, $klantcode, $klantnaam)]);

function verzoek(string $schooljaar, string $brincode, string $dependancecode, string $leerlingid, array $resultaat): array
{
    return [
        'school' => [
            'schooljaar' => $schooljaar,
            'brincode' => $brincode,
            'dependancecode' => $dependancecode,
            'aanmaakdatum' => gmdate('Y-m-d\TH:i:s\Z'),
            'xsdversie' => '2.2',
        ],
        'toetsafnames' => ['toetsafname' => [[
            'leerlingid' => $leerlingid,
            'resultaten' => ['resultaat' => [$resultaat]],
        ]]],
        'toetsen' => ['toets' => [[
            'toetscode' => 'REK-M5',
            'toetsnaam' => 'Rekenen-Wiskunde M5',
            'leerjaar' => '5',
        ]]],
    ];
}

function score(string $key): array
{
    return ['key' => $key, 'afnamedatum' => '2025-01-20', 'toetscode' => 'REK-M5', 'score' => 37];
}

function oso(string $key): array
{
    return [
        'key' => $key,
        'afnamedatum' => '2025-01-21',
        'toetscode' => 'REK-M5',
        'osoresultaat' => [
            'toetsscore' => ['aantalgoed' => 41, 'vaardigheidsscore' => '187.5'],
            'referentiescore' => [
                ['codereferentiescore' => 'percentiel', 'codevergelijkingsgroep' => 'landelijk', 'waarde' => '63'],
                ['codereferentiescore' => 'niveau', 'codevergelijkingsgroep' => 'landelijk', 'waarde' => 'II'],
            ],
        ],
    ];
}

$bevestiging = fn($answer) => is_object($answer) ? 'leerresultaten_bevestiging' : gettype($answer);
$results = ['stubs' => stubs($client)];
$results['score'] = attempt($client, fn() => $client->BrengLeerresultaten(
    verzoek($schooljaar, $brincode, $dependancecode, $leerlingScore, score("$prefix-score"))
), $bevestiging);
$results['osoresultaat'] = attempt($client, fn() => $client->BrengLeerresultaten(
    verzoek($schooljaar, $brincode, $dependancecode, $leerlingOso, oso("$prefix-oso"))
), $bevestiging);

// A key Schoolkr8 never issued (same shape as the real one).
$client->__setSoapHeaders([autorisatie(substr($key, 0, 4) . str_repeat('x', max(8, strlen($key) - 4)), $klantcode, $klantnaam)]);
$results['wrong_key'] = attempt($client, fn() => $client->BrengLeerresultaten(
    verzoek($schooljaar, $brincode, $dependancecode, $leerlingScore, score("$prefix-wrong-key"))
), $bevestiging);

// A valid message with the right key, sent with a LAS operation's SOAPAction.
$client->__setSoapHeaders([autorisatie($key, $klantcode, $klantnaam)]);
$client->actionOverride = 'HaalLeerlinggegevens';
$results['wrong_action'] = attempt($client, fn() => $client->BrengLeerresultaten(
    verzoek($schooljaar, $brincode, $dependancecode, $leerlingScore, score("$prefix-wrong-action"))
), $bevestiging);

emit($results);

<?php
// Shared by the PHP SoapClient scripts: a SoapClient whose SOAPAction can be swapped (to send
// a body with another operation's action), the autorisatie header, and JSON output.
declare(strict_types=1);

const NS_AUT = 'http://www.edustandaard.nl/leerresultaten/2/autorisatie';

/** A SoapClient that, when $actionOverride is set, sends that SOAPAction instead of the WSDL's. */
final class UwlrSoapClient extends SoapClient
{
    public ?string $actionOverride = null;
    public ?string $lastActionSent = null;

    public function __doRequest(
        string $request,
        string $location,
        string $action,
        int $version,
        bool $oneWay = false
    ): ?string {
        $sent = $this->actionOverride ?? $action;
        $this->lastActionSent = $sent;
        return parent::__doRequest($request, $location, $sent, $version, $oneWay);
    }
}

/** A SoapClient from $wsdl (a URL or a file path) whose every call goes to $endpoint. */
function uwlr_client(string $wsdl, string $endpoint): UwlrSoapClient
{
    return new UwlrSoapClient($wsdl, [
        'location' => $endpoint,
        'trace' => true,
        'exceptions' => true,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
        'connection_timeout' => 20,
        'encoding' => 'UTF-8',
    ]);
}

function autorisatie(string $key, string $klantcode, string $klantnaam): SoapHeader
{
    return new SoapHeader(NS_AUT, 'autorisatie', [
        'autorisatiesleutel' => $key,
        'klantcode' => $klantcode,
        'klantnaam' => $klantnaam,
    ]);
}

/**
 * Run $call; ['ok' => true, 'value' => ($shape)(answer)] or, for a SOAP fault,
 * ['ok' => false, 'fault' => [code, string]] with the fault code as received (prefix and all).
 */
function attempt(UwlrSoapClient $client, callable $call, callable $shape): array
{
    try {
        $answer = $call();
        return ['ok' => true, 'action' => $client->lastActionSent, 'value' => $shape($answer)];
    } catch (SoapFault $fault) {
        return [
            'ok' => false,
            'action' => $client->lastActionSent,
            'fault' => ['code' => (string) $fault->faultcode, 'string' => (string) $fault->faultstring],
            'http_status' => last_status($client),
        ];
    }
}

function last_status(SoapClient $client): ?int
{
    $headers = (string) $client->__getLastResponseHeaders();
    return preg_match('#^HTTP/\S+\s+(\d{3})#', $headers, $m) ? (int) $m[1] : null;
}

/** A list whatever PHP made of a repeated element (absent, one object, or an array). */
function as_list(mixed $value): array
{
    if ($value === null) {
        return [];
    }
    return is_array($value) ? array_values($value) : [$value];
}

/** The stubs the WSDL gives: every operation's signature as PHP shows it, sorted. */
function stubs(SoapClient $client): array
{
    $functions = array_values(array_unique($client->__getFunctions()));
    sort($functions);
    return $functions;
}

function emit(array $results): void
{
    echo json_encode($results, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), "\n";
}

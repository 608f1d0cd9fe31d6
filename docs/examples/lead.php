<?php
// Sends a lead to lead-server from PHP with cURL (no library needed).
// Configure with the environment (or edit the defaults):
//   LEAD_URL=https://YOUR-SERVER/api/v1/lead.php  LEAD_KEY=YOUR_API_KEY  php lead.php

$url = getenv('LEAD_URL') ?: 'https://YOUR-SERVER/api/v1/lead.php';
$key = getenv('LEAD_KEY') ?: 'YOUR_API_KEY';

$lead = [
    'type'    => 'order',
    'email'   => 'kunde@beispiel.de',
    'subject' => 'Bestellung 4711',
    'total'   => round(2 * 617.25, 2),   // a JSON number with at most two decimals
    'phone'   => '+49 30 1234567',       // extra fields are kept and shown as "extra"
];

$ch = curl_init($url);
curl_setopt_array($ch, [
    CURLOPT_POST           => true,
    CURLOPT_HTTPHEADER     => [
        'Content-Type: application/json',
        'X-API-KEY: ' . $key,
        'Idempotency-Key: order-4711',   // sending it again never creates a second order
    ],
    CURLOPT_POSTFIELDS     => json_encode($lead),
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_TIMEOUT        => 10,
]);
$body   = curl_exec($ch);
$status = curl_getinfo($ch, CURLINFO_HTTP_CODE);
curl_close($ch);

$answer = json_decode((string) $body, true);
if ($status === 200) {
    echo "stored: {$answer['type']} {$answer['id']}\n";
} else {
    $code = $answer['code'] ?? 'no answer';
    $message = $answer['message'] ?? '';
    fwrite(STDERR, "lead rejected: {$status} {$code} {$message}\n");
    exit(1);
}

<?php
// Sends a lead to lead-server from PHP with cURL (no library needed).
// Configure with the environment (or edit the defaults):
//   LEAD_URL=https://YOUR-SERVER/api/v1/lead.php  LEAD_KEY=YOUR_API_KEY  php lead.php

$url = getenv('LEAD_URL') ?: 'https://YOUR-SERVER/api/v1/lead.php';
$key = getenv('LEAD_KEY') ?: 'YOUR_API_KEY';

// One random id per submission, used as its Idempotency-Key: however often this submission is
// sent (a retry below, the visitor sending the form again), it is one order. In a form
// handler, make it with bin2hex(random_bytes(16)) when the form is shown, carry it in a hidden
// field `submission`, and take $_POST['submission'] here.
// Not the order number: anyone can guess it and send something under it first.
$submission = getenv('LEAD_SUBMISSION') ?: bin2hex(random_bytes(16));

$lead = [
    'type'    => 'order',
    'email'   => 'kunde@beispiel.de',
    'subject' => 'Bestellung 4711',
    'total'   => 2 * 617.25,             // the server rounds to cents; a string like "1.234,50" works too
    'phone'   => '+49 30 1234567',       // extra fields are kept and shown as "extra"
];

// Sent again, with the same key, when the server is busy or does not answer.
for ($attempt = 1; $attempt <= 3; $attempt++) {
    $ch = curl_init($url);
    curl_setopt_array($ch, [
        CURLOPT_POST           => true,
        CURLOPT_HTTPHEADER     => [
            'Content-Type: application/json',
            'X-API-KEY: ' . $key,
            'Idempotency-Key: ' . $submission,
        ],
        CURLOPT_POSTFIELDS     => json_encode($lead),
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT        => 10,
    ]);
    $body   = curl_exec($ch);
    $status = curl_getinfo($ch, CURLINFO_HTTP_CODE);
    if ($status !== 0 && $status !== 429 && $status < 500) {
        break;
    }
    sleep($attempt);
}

$answer = json_decode((string) $body, true);
if ($status === 200) {
    echo "stored: {$answer['type']} {$answer['id']}\n";
} else {
    $code = $answer['code'] ?? 'no answer';
    $message = $answer['message'] ?? '';
    fwrite(STDERR, "lead rejected: {$status} {$code} {$message}\n");
    exit(1);
}

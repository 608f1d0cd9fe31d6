//! Diesel's view of the tables in `migrations/sqlite` (ids and timestamps are `BigInt`,
//! flags `Integer`, so the same definitions fit PostgreSQL).

diesel::table! {
    companies (id) {
        id -> BigInt,
        name -> Text,
        active -> Integer,
        created_at -> BigInt,
        auto_customers -> Text,
    }
}

diesel::table! {
    key_routes (api_key_id, employee_id) {
        api_key_id -> BigInt,
        employee_id -> BigInt,
    }
}

diesel::table! {
    owner_changes (id) {
        id -> BigInt,
        company_id -> BigInt,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        employee_id -> Nullable<BigInt>,
        actor -> Text,
        at -> BigInt,
        owner_before -> Nullable<BigInt>,
        owner_after -> Nullable<BigInt>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        company_id -> BigInt,
        prefix -> Text,
        key_hash -> Text,
        label -> Text,
        active -> Integer,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        daily_cap -> Nullable<BigInt>,
        origins -> Nullable<Text>,
        confirm_sender -> Integer,
        route_next -> BigInt,
        consent_text -> Nullable<Text>,
        challenge -> Integer,
    }
}

diesel::table! {
    employees (id) {
        id -> BigInt,
        company_id -> BigInt,
        name -> Text,
        email -> Text,
        active -> Integer,
        created_at -> BigInt,
        password_hash -> Nullable<Text>,
        notify_email -> Integer,
        notify_push -> Integer,
        role -> Text,
        password_once -> Integer,
    }
}

diesel::table! {
    employee_tokens (id) {
        id -> BigInt,
        employee_id -> BigInt,
        prefix -> Text,
        token_hash -> Text,
        active -> Integer,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        password_only -> Integer,
    }
}

diesel::table! {
    customers (id) {
        id -> BigInt,
        company_id -> BigInt,
        name -> Text,
        name_normalized -> Text,
        email -> Text,
        email_normalized -> Text,
        created_at -> BigInt,
        phone -> Text,
        organization -> Text,
        street -> Text,
        zip -> Text,
        city -> Text,
        country -> Text,
    }
}

diesel::table! {
    /// Every address of a customer, the main one among them.
    customer_emails (id) {
        id -> BigInt,
        company_id -> BigInt,
        customer_id -> BigInt,
        email -> Text,
        email_normalized -> Text,
    }
}

diesel::table! {
    /// A customer file's history.
    customer_changes (id) {
        id -> BigInt,
        company_id -> BigInt,
        customer_id -> BigInt,
        employee_id -> Nullable<BigInt>,
        actor -> Text,
        at -> BigInt,
        changes -> Text,
    }
}

diesel::table! {
    web_orders (id) {
        id -> BigInt,
        company_id -> BigInt,
        api_key_id -> BigInt,
        customer_id -> Nullable<BigInt>,
        email -> Text,
        email_normalized -> Text,
        title -> Text,
        message -> Nullable<Text>,
        total_cents -> BigInt,
        status -> Text,
        payload -> Text,
        created_at -> BigInt,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<BigInt>,
        held -> Nullable<Text>,
        owner_id -> Nullable<BigInt>,
        owner_by -> Nullable<BigInt>,
        consent_given -> Nullable<Integer>,
        consent_text -> Nullable<Text>,
        consent_at -> Nullable<BigInt>,
        consent_page -> Nullable<Text>,
        consent_client -> Nullable<Text>,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        company_id -> BigInt,
        api_key_id -> Nullable<BigInt>,
        customer_id -> Nullable<BigInt>,
        email -> Text,
        email_normalized -> Text,
        title -> Text,
        message -> Text,
        status -> Text,
        payload -> Text,
        created_at -> BigInt,
        status_changed_by -> Nullable<BigInt>,
        status_changed_at -> Nullable<BigInt>,
        held -> Nullable<Text>,
        owner_id -> Nullable<BigInt>,
        owner_by -> Nullable<BigInt>,
        consent_given -> Nullable<Integer>,
        consent_text -> Nullable<Text>,
        consent_at -> Nullable<BigInt>,
        consent_page -> Nullable<Text>,
        consent_client -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        company_id -> BigInt,
        employee_id -> BigInt,
        kind -> Text,
        text -> Text,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        read_at -> Nullable<BigInt>,
        created_at -> BigInt,
        xact -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idem_key) {
        api_key_id -> BigInt,
        idem_key -> Text,
        lead_type -> Text,
        record_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        subject -> Text,
        company_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        company_id -> BigInt,
        url -> Text,
        events -> Text,
        format -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        active -> Integer,
        disabled_reason -> Nullable<Text>,
        last_success_at -> Nullable<BigInt>,
        failing_since -> Nullable<BigInt>,
        created_at -> BigInt,
        removed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        secret -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        company_id -> BigInt,
        channel -> Text,
        event -> Text,
        target_id -> Nullable<BigInt>,
        employee_id -> Nullable<BigInt>,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        body -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        message_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_attempts (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        at -> BigInt,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    vapid_keys (id) {
        id -> BigInt,
        private_key -> Text,
        public_key -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> BigInt,
        company_id -> BigInt,
        employee_id -> BigInt,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        device -> Text,
        created_at -> BigInt,
        last_success_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    notes (id) {
        id -> BigInt,
        company_id -> BigInt,
        employee_id -> Nullable<BigInt>,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        customer_id -> Nullable<BigInt>,
        text -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        company_id -> BigInt,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        scan -> Text,
        created_at -> BigInt,
        message_id -> Nullable<BigInt>,
        data -> Binary,
    }
}

diesel::joinable!(notes -> employees (employee_id));
diesel::joinable!(customer_changes -> employees (employee_id));
diesel::joinable!(api_keys -> companies (company_id));
diesel::joinable!(key_routes -> api_keys (api_key_id));
diesel::joinable!(key_routes -> employees (employee_id));
diesel::joinable!(webhooks -> companies (company_id));
diesel::joinable!(push_subscriptions -> employees (employee_id));
diesel::joinable!(employees -> companies (company_id));
diesel::joinable!(employee_tokens -> employees (employee_id));

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    webhooks,
    outbox,
    outbox_attempts,
    vapid_keys,
    push_subscriptions,
    api_keys,
    employees,
    employee_tokens,
    customers,
    customer_emails,
    customer_changes,
    key_routes,
    owner_changes,
    web_orders,
    tickets,
    notifications,
    idempotency_keys,
    audit_log,
    notes,
    attachments,
    mailboxes,
    messages,
);

diesel::table! {
    key_daily_counts (api_key_id, day) {
        api_key_id -> BigInt,
        day -> BigInt,
        leads -> BigInt,
        confirmations -> BigInt,
    }
}

diesel::table! {
    submissions (id) {
        id -> BigInt,
        at -> BigInt,
        company_id -> Nullable<BigInt>,
        key_prefix -> Nullable<Text>,
        origin -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        status -> Integer,
        code -> Nullable<Text>,
        size -> BigInt,
        body -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    /// PostgreSQL only (see `duplicates.rs`).
    lead_fingerprints (fingerprint, api_key_id) {
        fingerprint -> BigInt,
        api_key_id -> BigInt,
        lead_type -> Text,
        record_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    login_throttle (login, client) {
        login -> Text,
        client -> Text,
        failed -> Integer,
        locked_until -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// The proofs of work leads have used (see `intake/write/plan.rs`).
    spent_challenges (id) {
        id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// A company's mailbox: where replies leave from and answers are read.
    mailboxes (company_id) {
        company_id -> BigInt,
        imap_url -> Text,
        from_address -> Text,
        smtp_url -> Nullable<Text>,
        move_to -> Nullable<Text>,
        uid_validity -> Nullable<BigInt>,
        last_uid -> BigInt,
        checked_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<BigInt>,
        reader -> Nullable<Text>,
        reader_until -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// A lead's e-mail conversation, each message out and in.
    messages (id) {
        id -> BigInt,
        company_id -> BigInt,
        order_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        direction -> Text,
        message_id -> Text,
        in_reply_to -> Nullable<Text>,
        refs -> Text,
        sender -> Text,
        recipient -> Text,
        subject -> Text,
        text -> Text,
        employee_id -> Nullable<BigInt>,
        delivery_id -> Nullable<BigInt>,
        delivery -> Nullable<Text>,
        automatic -> Integer,
        created_at -> BigInt,
        raw -> Nullable<Binary>,
    }
}

diesel::joinable!(messages -> employees (employee_id));

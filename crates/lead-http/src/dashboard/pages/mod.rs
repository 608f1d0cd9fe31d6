//! The dashboard's HTML, in German. maud escapes every value it interpolates, so whatever a
//! website sent (a ticket whose message is `<script>…`) is shown as text.

use lead_domain::{TimeZone, Timestamp};
use lead_store::Notification;
use maud::{html, Markup, DOCTYPE};

mod admin;
mod conversation;
mod customers;
pub(crate) mod import;
mod keys;
mod kinds;
mod lists;
mod mailbox;
mod me;
mod record;

pub(crate) use admin::{
    admin_audit, admin_employees, admin_index, admin_submissions, admin_webhooks, privacy, Privacy,
};
pub(crate) use conversation::Conversation;
pub(crate) use customers::{customer_file, customers, FileMore, FilePaging};
pub(crate) use keys::{admin_keys, Routing};
pub(crate) use kinds::OnDashboard;
pub(crate) use lists::{leads, ListView};
pub(crate) use mailbox::admin_mailbox;
pub(crate) use me::{notifications, password_form, settings, Settings};
pub(crate) use record::{lead, History, NotesShown, Owning};

/// Who is looking, for the page header.
pub(crate) struct Viewer<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    pub unread: i64,
    pub recent: &'a [Notification],
    /// An admin of the company: the navigation shows the admin pages.
    pub admin: bool,
}

/// A time as the team reads it: German notation, in their `zone`.
fn when(at: Timestamp, zone: &TimeZone) -> String {
    at.to_german_in(zone)
}

/// A form that posts to `action` with the session's CSRF token.
fn post_form(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) class="inline" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The frame of every page: header with navigation, the bell and logout.
pub(crate) fn layout(title: &str, active: &str, viewer: &Viewer, body: Markup) -> Markup {
    let mut nav = vec![
        ("/app/orders", "orders", "Web-Bestellungen"),
        ("/app/tickets", "tickets", "Tickets"),
        ("/app/customers", "customers", "Kunden"),
        ("/app/settings", "settings", "Einstellungen"),
    ];
    if viewer.admin {
        nav.push(("/app/admin", "admin", "Verwaltung"));
    }
    let content = html! {
                a href="#main" class="skip" { "Zum Inhalt springen" }
                header {
                    nav aria-label="Hauptnavigation" {
                        @for (href, key, label) in nav {
                            a href=(href) aria-current=[(key == active).then_some("page")] { (label) }
                        }
                    }
                    div class="bell" {
                        button type="button" id="bell-button" aria-expanded="false" aria-controls="bell-panel" {
                            "Benachrichtigungen "
                            span id="bell-count" class="count" data-count=(viewer.unread) { (viewer.unread) }
                        }
                        div id="bell-panel" hidden {
                            ul id="bell-list" {
                                @for note in viewer.recent {
                                    li class=(if note.read_at.is_none() { "unread" } else { "" }) { (note.text) }
                                }
                            }
                            a href="/app/notifications" { "Alle Benachrichtigungen" }
                        }
                    }
                    div class="me" {
                        span { (viewer.name) }
                        (post_form("/app/logout", viewer.csrf, "Abmelden", "link"))
                    }
                }
                main id="main" { (body) }
    };
    document(&format!("{title} – CRM"), Script::Dashboard, true, content)
}

/// The login page.
pub(crate) fn login(csrf: &str, email: &str, error: Option<&str>) -> Markup {
    let content = html! {
                main id="main" class="login" {
                    h1 { "Anmelden" }
                    @if let Some(error) = error {
                        p class="error" role="alert" { (error) }
                    }
                    form method="post" action="/app/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="email" { "E-Mail" }
                        input type="email" id="email" name="email" value=(email) autocomplete="username" required autofocus;
                        label for="password" { "Passwort" }
                        input type="password" id="password" name="password" autocomplete="current-password" required;
                        button type="submit" id="login" { "Anmelden" }
                    }
                }
    };
    document("Anmelden – CRM", Script::None, true, content)
}

/// An error page (not found, refused) with a way back.
pub(crate) fn message(title: &str, text: &str) -> Markup {
    standalone(
        &format!("{title} – CRM"),
        html! { h1 { (title) } p { (text) } p { a href="/app/orders" { "Zur Übersicht" } } },
    )
}

/// A page of its own, without the dashboard's frame: German, this server's stylesheet,
/// nothing from elsewhere, no script.
pub(crate) fn standalone(title: &str, body: Markup) -> Markup {
    document(title, Script::None, false, html! { main id="main" { (body) } })
}

/// Whether a page loads the dashboard's script.
#[derive(PartialEq, Eq)]
enum Script {
    Dashboard,
    None,
}

/// An HTML document: German, this server's stylesheet, `content` as its body.
/// A page of the dashboard itself (`app`) names its manifest and icons; the pages a website's
/// visitors may see (a form's answer) do not.
fn document(title: &str, script: Script, app: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @if app {
                    meta name="theme-color" content="#0b4f8a";
                    link rel="manifest" href="/app/manifest.webmanifest";
                    link rel="icon" type="image/png" sizes="32x32" href="/app/favicon-32.png";
                    link rel="apple-touch-icon" href="/app/icon-192.png";
                }
                link rel="stylesheet" href="/app/app.css";
                @if script == Script::Dashboard {
                    script src="/app/app.js" defer {}
                }
            }
            body { (content) }
        }
    }
}

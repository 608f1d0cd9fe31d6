//! A lead's e-mail conversation on its page: each message in the history (between the notes),
//! its quoted history folded, and the form that answers the lead's sender.

use lead_domain::TimeZone;
use lead_store::{Direction, Message};
use maud::{html, Markup};

use super::when;

/// What a lead's page shows of its conversation.
pub(crate) struct Conversation {
    /// Its messages, oldest first.
    pub messages: Vec<Message>,
    /// The company's address replies leave from (`None`: no mailbox, no replies).
    pub from: Option<String>,
}

/// A message as an entry of the lead's history.
pub(super) fn entry(message: &Message, zone: &TimeZone) -> Markup {
    let (said, quoted) = split_quoted(&message.text);
    let class = match message.direction {
        Direction::In => "mail mail-in",
        Direction::Out => "mail mail-out",
    };
    html! {
        article class=(class) id={ "message-" (message.id) } {
            p class="mail-head" {
                @match message.direction {
                    Direction::Out => {
                        strong { "E-Mail an " (message.to) }
                        @if let Some(author) = &message.author { " – von " (author.name) }
                    }
                    Direction::In => { strong { "E-Mail von " (message.from) } }
                }
                " · " span class="mail-subject" { (message.subject) }
                @if let Some(status) = message.delivery {
                    " · " span class=(format!("delivery delivery-{}", status.as_str())) { (lead_present::german::delivery(status)) }
                }
                @if message.automatic { " · " span class="automatic" { "automatische Antwort" } }
            }
            pre class="message mail-text" { (said) }
            @if !quoted.is_empty() {
                details class="quoted" {
                    summary { "Zitierter Verlauf" }
                    pre { (quoted) }
                }
            }
            @if !message.attachments.is_empty() {
                ul class="attachments" {
                    @for file in &message.attachments {
                        li {
                            @if file.scan.servable() {
                                a href={ "/app/anhaenge/" (file.id) } download { (file.filename) }
                            } @else {
                                span { (file.filename) }
                            }
                            " · " (lead_present::german::file_size(file.size as u64))
                            " · " span class=(format!("scan scan-{}", file.scan.as_str())) { (lead_present::german::scan(file.scan)) }
                        }
                    }
                }
            }
            @if message.direction == Direction::Out { p class="mail-time" { "Gesendet " (when(message.created_at, zone)) } }
        }
    }
}

/// The form that answers the lead's sender `to`, on the lead at `base` — or why there is none.
pub(super) fn reply_form(base: &str, csrf: &str, to: &str, conversation: &Conversation) -> Markup {
    html! {
        @match &conversation.from {
            Some(from) => {
                form method="post" action={ (base) "/reply" } class="reply" id="reply" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="reply-text" { "Antwort per E-Mail an " (to) }
                    textarea id="reply-text" name="text" rows="6" maxlength="10000" required {}
                    p class="hint" { "Von " (from) "; die letzte Nachricht des Kunden wird darunter zitiert." }
                    button type="submit" class="accept" { "Antwort senden" }
                }
            }
            None => {
                p class="hint" id="reply" {
                    "Antworten per E-Mail: ein Administrator richtet dazu unter „Verwaltung“ das E-Mail-Postfach der Firma ein."
                }
            }
        }
    }
}

/// A message's own words and the history it quotes: from the first line that starts with `>`
/// (and the line introducing it, `Am … schrieb …:`), to the end.
fn split_quoted(text: &str) -> (&str, &str) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(first) = lines.iter().position(|line| line.starts_with('>')) else {
        return (text, "");
    };
    let start = match first.checked_sub(1).map(|i| lines[i].trim_end()) {
        Some(intro) if intro.ends_with(':') => first - 1,
        _ => first,
    };
    let at: usize = lines[..start].iter().map(|line| line.len()).sum();
    (text[..at].trim_end(), &text[at..])
}

#[cfg(test)]
mod tests {
    use super::split_quoted;

    #[test]
    fn the_quoted_history_is_split_off() {
        assert_eq!(split_quoted("Danke!"), ("Danke!", ""));
        assert_eq!(
            split_quoted("Ja, Samstag passt.\n\nAm 6.12. schrieb Bäckerei:\n> Geht Samstag?\n> Gruß"),
            (
                "Ja, Samstag passt.",
                "Am 6.12. schrieb Bäckerei:\n> Geht Samstag?\n> Gruß"
            )
        );
        assert_eq!(split_quoted("> nur Zitat"), ("", "> nur Zitat"));
    }
}

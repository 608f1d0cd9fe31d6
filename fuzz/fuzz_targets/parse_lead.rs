//! Feeds arbitrary bytes to `Lead::parse`. Besides "never panics", it checks what the
//! proptest suite checks: an accepted lead re-serialises and parses back equal, and its
//! amount is exactly what its canonical decimal says.
#![no_main]

use lead_domain::{Lead, Money};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(lead) = Lead::parse(body) else { return };
    let json = lead.to_json();
    assert_eq!(Lead::parse(json.as_bytes()).as_ref(), Ok(&lead), "{json}");
    if let Lead::Order(order) = &lead {
        let decimal = order.total.to_decimal();
        assert_eq!(Money::from_json_number(&decimal), Ok(order.total));
    }
});

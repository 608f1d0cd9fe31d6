//! Waiting for something to happen — never a bare `sleep`: poll an observable condition until
//! it holds or a deadline passes, and fail saying what never happened.

use std::time::{Duration, Instant};

/// Polls `condition` (every few milliseconds) until it gives a value, and returns it; panics
/// naming `what` if `within` passes first.
pub fn wait_until<T>(what: &str, within: Duration, mut condition: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(value) = condition() {
            return value;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}, in vain");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Asserts that `condition` holds, polling as [`wait_until`] does.
pub fn eventually(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    wait_until(what, within, || condition().then_some(()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_returns_the_first_value_and_gives_up_at_the_deadline() {
        let mut calls = 0;
        assert_eq!(
            wait_until("the third call", Duration::from_secs(5), || {
                calls += 1;
                (calls == 3).then_some(calls)
            }),
            3
        );
        let gave_up = std::panic::catch_unwind(|| eventually("never", Duration::from_millis(20), || false));
        assert!(gave_up.is_err());
    }
}

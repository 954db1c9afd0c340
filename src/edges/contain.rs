//! Runs code that may panic on hostile input (rqrr on some images, nokhwa on corrupt MJPEG)
//! and turns the panic into an error, without the panic message reaching the terminal the
//! console owns.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Installs the hook that keeps contained panics quiet. Install it after any hook that
/// restores the terminal, so a contained panic does not restore it.
pub fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINED.with(Cell::get) {
                tracing::warn!("contained a panic: {info}");
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it becomes `Err(message)`.
pub fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let outer = CONTAINED.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::contained;

    #[test]
    fn a_panic_becomes_an_error_and_normal_results_pass_through() {
        assert_eq!(contained(|| 7), Ok(7));
        let err = contained(|| -> u8 { panic!("index out of bounds: 9") }).unwrap_err();
        assert!(err.contains("index out of bounds"), "{err}");
        // Nested use restores the outer state.
        assert_eq!(contained(|| contained(|| 1).unwrap() + 1), Ok(2));
    }
}

//! Strings crossing the C boundary: borrowed C strings in, owned C strings out.

use std::ffi::{c_char, CStr, CString};

use crate::error::{FfiError, FfiResult};

/// Borrows a NUL-terminated UTF-8 string from C. `what` names the argument in
/// the error message.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub unsafe fn borrow_str<'a>(pointer: *const c_char, what: &str) -> FfiResult<&'a str> {
    if pointer.is_null() {
        return Err(FfiError::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    let bytes = unsafe { CStr::from_ptr(pointer) };
    bytes
        .to_str()
        .map_err(|e| FfiError::invalid_argument(format!("{what} is not valid UTF-8: {e}")))
}

/// Like [`borrow_str`], but NULL means "absent".
///
/// # Safety
/// As for [`borrow_str`].
pub unsafe fn borrow_optional_str<'a>(
    pointer: *const c_char,
    what: &str,
) -> FfiResult<Option<&'a str>> {
    if pointer.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { borrow_str(pointer, what) }.map(Some)
    }
}

/// Hands a string to C; the caller releases it with `surreal_free_string`.
/// Interior NUL bytes cannot be represented in a C string and are an error.
pub fn into_c_string(text: String) -> FfiResult<*mut c_char> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| FfiError::internal("result text contains a NUL byte"))
}

/// Releases a string returned by this library. NULL is accepted.
///
/// # Safety
/// `pointer` is NULL or was returned by this library and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn surreal_free_string(pointer: *mut c_char) {
    if pointer.is_null() {
        return;
    }
    // Freeing cannot fail; a panic here would be a bug in CString itself.
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the pointer came from `CString::into_raw` in `into_c_string`.
        drop(unsafe { CString::from_raw(pointer) });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_c() {
        let pointer = into_c_string("héllo".to_owned()).unwrap();
        // SAFETY: just allocated above.
        let text = unsafe { borrow_str(pointer, "text") }.unwrap().to_owned();
        assert_eq!(text, "héllo");
        // SAFETY: allocated by into_c_string, freed once.
        unsafe { surreal_free_string(pointer) };
    }

    #[test]
    fn null_and_invalid_utf8_are_rejected() {
        // SAFETY: NULL is allowed.
        let error = unsafe { borrow_str(std::ptr::null(), "sql") }.unwrap_err();
        assert_eq!(error, FfiError::invalid_argument("sql is NULL"));

        let invalid = b"\xff\xfe\0";
        // SAFETY: NUL-terminated static bytes.
        let error = unsafe { borrow_str(invalid.as_ptr().cast(), "sql") }.unwrap_err();
        assert!(
            error.message.starts_with("sql is not valid UTF-8"),
            "{}",
            error.message
        );

        // SAFETY: NULL is allowed.
        assert_eq!(
            unsafe { borrow_optional_str(std::ptr::null(), "x") },
            Ok(None)
        );
    }

    #[test]
    fn interior_nul_is_an_error_not_a_truncation() {
        assert!(into_c_string("a\0b".to_owned()).is_err());
    }

    #[test]
    fn freeing_null_is_harmless() {
        // SAFETY: NULL is documented as accepted.
        unsafe { surreal_free_string(std::ptr::null_mut()) };
    }
}

//! What event handlers ask of the browser itself: load another page, copy a text. Handlers
//! only run after hydration; on the server these do nothing.

/// Loads `path` as a whole new page (the hub renders every page with fresh data).
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        _ = leptos::prelude::window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Copies `text` with `navigator.clipboard.writeText`; false when the browser has no
/// clipboard API here or refused (the caller then asks the user to copy by hand).
pub async fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Function, Promise, Reflect};
        use wasm_bindgen::{JsCast, JsValue};

        let get = |target: &JsValue, key: &str| {
            Reflect::get(target, &JsValue::from_str(key))
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        let window: JsValue = leptos::prelude::window().into();
        let Some(clipboard) = get(&window, "navigator").and_then(|n| get(&n, "clipboard")) else {
            return false;
        };
        let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<Function>().ok())
        else {
            return false;
        };
        let Ok(promise) = write
            .call1(&clipboard, &JsValue::from_str(text))
            .and_then(|p| p.dyn_into::<Promise>())
        else {
            return false;
        };
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

//! Pieces of the account forms: the errors of one form by field, a labelled text input with
//! its error line, the timezone suggestions, and a one-time link with a Copy button.

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::api::ApiFailure;
use crate::components::field_error::FieldError;

/// The slot of a form-wide message (not about one field).
pub const FORM: &str = "form";

/// What is wrong with a form, by field name (`FORM` for the form as a whole).
#[derive(Clone, Copy)]
pub struct FormErrors(RwSignal<BTreeMap<String, String>>);

impl Default for FormErrors {
    fn default() -> Self {
        Self::new()
    }
}

impl FormErrors {
    pub fn new() -> Self {
        FormErrors(RwSignal::new(BTreeMap::new()))
    }

    pub fn clear(&self) {
        self.0.set(BTreeMap::new());
    }

    /// Adds one message (for checks made before anything is sent).
    pub fn add(&self, slot: &str, message: impl Into<String>) {
        self.0.update(|m| {
            m.insert(slot.to_string(), message.into());
        });
    }

    /// Drops the message of `slot` (its field was edited).
    pub fn remove(&self, slot: &str) {
        if self.0.with_untracked(|m| m.contains_key(slot)) {
            self.0.update(|m| {
                m.remove(slot);
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.with_untracked(BTreeMap::is_empty)
    }

    /// The hub's refusal: each field's problem under its field ("Password must be at least
    /// 10 characters."), and the hub's message for the whole form. `label` names a field as
    /// the form shows it; fields the form does not show stay in the form-wide message.
    pub fn failed(&self, failure: ApiFailure, label: impl Fn(&str) -> Option<&'static str>) {
        let mut shown = BTreeMap::new();
        let mut elsewhere = Vec::new();
        for (field, what) in &failure.fields {
            match label(field) {
                Some(name) => {
                    shown.insert(field.clone(), format!("{name} {what}."));
                }
                None => elsewhere.push(format!("{field} {what}.")),
            }
        }
        let mut message = failure.message;
        if !elsewhere.is_empty() {
            message = format!("{message} {}", elsewhere.join(" "));
        }
        shown.insert(FORM.to_string(), message);
        self.0.set(shown);
    }

    /// The message of `slot`, for a [`FieldError`].
    pub fn message(&self, slot: &'static str) -> Signal<Option<String>> {
        let errors = self.0;
        Signal::derive(move || errors.with(|e| e.get(slot).cloned()))
    }

    /// `aria-invalid` of the input of `slot`.
    pub fn invalid(&self, slot: &'static str) -> impl Fn() -> Option<&'static str> + Copy {
        let errors = self.0;
        move || errors.with(|e| e.contains_key(slot)).then_some("true")
    }
}

/// `div.field`: label, input, optional hint, and the field's error line (`{id}-error`).
#[component]
pub fn TextField(
    /// The input's id; the error line is `{id}-error`, the hint `{id}-hint`.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    errors: FormErrors,
    /// The field's name in the hub's error `fields` (not `slot`: the view macro reserves it).
    field: &'static str,
    /// `type` (default `text`).
    #[prop(optional)]
    kind: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    /// The id of a `<datalist>` with suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    #[prop(optional)] placeholder: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let described = match &hint_id {
        Some(h) => format!("{h} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=field
                type=kind.unwrap_or("text")
                autocomplete=autocomplete
                list=list
                placeholder=placeholder
                required=required
                maxlength=maxlength
                minlength=minlength
                aria-describedby=described
                aria-invalid=errors.invalid(field)
                disabled=disabled
                value=value.get_untracked()
                prop:value=value
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.remove(field);
                }
            />
            {hint.map(|h| view! { <p id=hint_id class="hint">{h}</p> })}
            <FieldError id=error_id message=errors.message(field)/>
        </div>
    }
}

/// Common IANA timezones, offered as suggestions; any other IANA name works too.
pub const TIMEZONES: [&str; 32] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// The id of [`TimezoneList`]'s `<datalist>`.
pub const TIMEZONE_LIST: &str = "timezone-list";

/// `<datalist id="timezone-list">`: render once per page.
#[component]
pub fn TimezoneList() -> impl IntoView {
    view! {
        <datalist id=TIMEZONE_LIST>
            {TIMEZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
        </datalist>
    }
}

/// A one-time link to hand over: read-only input (selected on focus) and a Copy button.
/// `id` is the input's id; the button is `{id}-copy`, the result line `{id}-copied`.
#[component]
pub fn CopyLink(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] link: String,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(None::<&'static str>);
    let select = move || {
        #[cfg(feature = "hydrate")]
        if let Some(i) = input.get_untracked() {
            i.select();
        }
    };
    let text = link.clone();
    let copy = move |_| {
        select();
        let text = text.clone();
        leptos::task::spawn_local(async move {
            copied.set(Some(if crate::dom::copy_text(&text).await {
                "Copied to the clipboard."
            } else {
                "Copying is not available here: the link is selected, press Ctrl+C (⌘C)."
            }));
        });
    };
    view! {
        <div class="copy-link">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input
                    node_ref=input
                    id=id.clone()
                    type="text"
                    readonly
                    value=link
                    on:focus=move |_| select()
                />
                <button type="button" id=format!("{id}-copy") on:click=copy>
                    "Copy"
                </button>
            </div>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p id=format!("{id}-copied") class="hint" role="status" aria-live="polite">
                {move || copied.get()}
            </p>
        </div>
    }
}

/// A role as the forms show it: "Member", "Supervisor"...
pub fn role_label(role: shared::Role) -> &'static str {
    match role {
        shared::Role::Owner => "Owner",
        shared::Role::Admin => "Admin",
        shared::Role::Supervisor => "Supervisor",
        shared::Role::Member => "Member",
    }
}

/// The checks made before sending a new password: long enough, typed the same twice.
/// `slots`: the password's field and the repeat's.
pub fn check_new_password(errors: FormErrors, slots: (&str, &str), password: &str, confirm: &str) {
    let min = shared::people::MIN_PASSWORD_CHARS;
    if password.chars().count() < min {
        errors.add(
            slots.0,
            format!("The password must be at least {min} characters."),
        );
    } else if password != confirm {
        errors.add(slots.1, "The two passwords differ.");
    }
}

//! The system's GSSAPI (MIT krb5's `libgssapi_krb5.so.2`), loaded at run time.
//!
//! Kerberos is not re-implemented here: the system library reads every credentials-cache type
//! (FILE, DIR, KEYRING, KCM), honours `krb5.conf` and renews tickets. It is loaded with
//! `dlopen` on first use, so wnet builds without krb5's headers and runs without the library
//! (Kerberos is then unavailable and NTLM is used). See `docs/adr/0005-kerberos.md`.
//!
//! Only the handful of calls a client needs are declared: acquire credentials (from a named
//! ccache, or from a password), one context loop, the session key, names and status texts.
//! Every handle is owned by a Rust value that releases it on drop.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::fmt;
use std::ptr;
use std::sync::OnceLock;

type OmUint32 = u32;

#[repr(C)]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

impl BufferDesc {
    const EMPTY: BufferDesc = BufferDesc {
        length: 0,
        value: ptr::null_mut(),
    };

    fn borrowing(bytes: &[u8]) -> BufferDesc {
        BufferDesc {
            length: bytes.len(),
            value: bytes.as_ptr() as *mut c_void,
        }
    }
}

#[repr(C)]
struct OidDesc {
    length: OmUint32,
    elements: *mut c_void,
}

#[repr(C)]
struct OidSetDesc {
    count: usize,
    elements: *mut OidDesc,
}

#[repr(C)]
struct KeyValueElement {
    key: *const c_char,
    value: *const c_char,
}

#[repr(C)]
struct KeyValueSet {
    count: OmUint32,
    elements: *const KeyValueElement,
}

#[repr(C)]
struct BufferSetDesc {
    count: usize,
    elements: *mut BufferDesc,
}

type Name = *mut c_void;
type Cred = *mut c_void;
type Ctx = *mut c_void;

const GSS_C_INITIATE: c_int = 1;
const GSS_C_GSS_CODE: c_int = 1;
const GSS_C_MECH_CODE: c_int = 2;
const GSS_S_COMPLETE: OmUint32 = 0;
const GSS_S_CONTINUE_NEEDED: OmUint32 = 1;
/// Context flags this client asks for: mutual authentication, replay and sequence detection,
/// integrity (what SMB's Kerberos clients ask for).
const REQ_FLAGS: OmUint32 = 2 | 4 | 8 | 32;
/// `GSS_C_MUTUAL_FLAG`.
const MUTUAL_FLAG: OmUint32 = 2;

/// DER content of the Kerberos 5 mechanism OID, 1.2.840.113554.1.2.2.
pub const KRB5_MECH: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02];
/// DER content of Microsoft's legacy Kerberos OID, 1.2.840.48018.1.2.2.
pub const MS_KRB5_MECH: &[u8] = &[0x2A, 0x86, 0x48, 0x82, 0xF7, 0x12, 0x01, 0x02, 0x02];
/// `GSS_C_NT_HOSTBASED_SERVICE`, 1.2.840.113554.1.2.1.4.
const NT_HOSTBASED_SERVICE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x01, 0x04];
/// `GSS_KRB5_NT_PRINCIPAL_NAME`, 1.2.840.113554.1.2.2.1.
const NT_KRB5_PRINCIPAL: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02, 0x01];
/// `GSS_C_INQ_SSPI_SESSION_KEY`, 1.2.840.113554.1.2.2.5.5.
const INQ_SSPI_SESSION_KEY: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02, 0x05, 0x05,
];

/// The krb5 error-table base (`ERROR_TABLE_BASE_krb5`); minor codes are base + n.
const KRB5_BASE: i64 = -1_765_328_384;

type ImportNameFn =
    unsafe extern "C" fn(*mut OmUint32, *const BufferDesc, *const OidDesc, *mut Name) -> OmUint32;
type DisplayNameFn =
    unsafe extern "C" fn(*mut OmUint32, Name, *mut BufferDesc, *mut *mut OidDesc) -> OmUint32;
type ReleaseNameFn = unsafe extern "C" fn(*mut OmUint32, *mut Name) -> OmUint32;
type AcquireCredFromFn = unsafe extern "C" fn(
    *mut OmUint32,
    Name,
    OmUint32,
    *const OidSetDesc,
    c_int,
    *const KeyValueSet,
    *mut Cred,
    *mut *mut OidSetDesc,
    *mut OmUint32,
) -> OmUint32;
type AcquireCredWithPasswordFn = unsafe extern "C" fn(
    *mut OmUint32,
    Name,
    *const BufferDesc,
    OmUint32,
    *const OidSetDesc,
    c_int,
    *mut Cred,
    *mut *mut OidSetDesc,
    *mut OmUint32,
) -> OmUint32;
type InquireCredFn = unsafe extern "C" fn(
    *mut OmUint32,
    Cred,
    *mut Name,
    *mut OmUint32,
    *mut c_int,
    *mut *mut OidSetDesc,
) -> OmUint32;
type ReleaseCredFn = unsafe extern "C" fn(*mut OmUint32, *mut Cred) -> OmUint32;
type InitSecContextFn = unsafe extern "C" fn(
    *mut OmUint32,
    Cred,
    *mut Ctx,
    Name,
    *const OidDesc,
    OmUint32,
    OmUint32,
    *const c_void,
    *const BufferDesc,
    *mut *mut OidDesc,
    *mut BufferDesc,
    *mut OmUint32,
    *mut OmUint32,
) -> OmUint32;
type InquireSecContextByOidFn =
    unsafe extern "C" fn(*mut OmUint32, Ctx, *const OidDesc, *mut *mut BufferSetDesc) -> OmUint32;
type VerifyMicFn = unsafe extern "C" fn(
    *mut OmUint32,
    Ctx,
    *const BufferDesc,
    *const BufferDesc,
    *mut OmUint32,
) -> OmUint32;
type DeleteSecContextFn =
    unsafe extern "C" fn(*mut OmUint32, *mut Ctx, *mut BufferDesc) -> OmUint32;
type ReleaseBufferFn = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> OmUint32;
type ReleaseBufferSetFn = unsafe extern "C" fn(*mut OmUint32, *mut *mut BufferSetDesc) -> OmUint32;
type DisplayStatusFn = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    c_int,
    *const OidDesc,
    *mut OmUint32,
    *mut BufferDesc,
) -> OmUint32;

/// The library's entry points, resolved once.
struct Api {
    import_name: ImportNameFn,
    display_name: DisplayNameFn,
    release_name: ReleaseNameFn,
    acquire_cred_from: AcquireCredFromFn,
    acquire_cred_with_password: AcquireCredWithPasswordFn,
    inquire_cred: InquireCredFn,
    release_cred: ReleaseCredFn,
    init_sec_context: InitSecContextFn,
    inquire_sec_context_by_oid: InquireSecContextByOidFn,
    verify_mic: VerifyMicFn,
    delete_sec_context: DeleteSecContextFn,
    release_buffer: ReleaseBufferFn,
    release_buffer_set: ReleaseBufferSetFn,
    display_status: DisplayStatusFn,
}

/// The library file: MIT krb5's GSSAPI, SONAME version 2.
const LIBRARY: &CStr = c"libgssapi_krb5.so.2";

fn api() -> Result<&'static Api, GssError> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(load)
        .as_ref()
        .ok_or_else(GssError::unavailable)
}

fn load() -> Option<Api> {
    // SAFETY: dlopen with a constant library name; the handle is kept for the process's life
    // (never dlclosed), so the function pointers below stay valid.
    let handle = unsafe { libc::dlopen(LIBRARY.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        tracing::info!("Kerberos unavailable: cannot load {LIBRARY:?}");
        return None;
    }
    macro_rules! sym {
        ($name:literal, $ty:ty) => {{
            // SAFETY: a valid handle and a NUL-terminated name.
            let p = unsafe { libc::dlsym(handle, concat!($name, "\0").as_ptr().cast()) };
            if p.is_null() {
                tracing::info!("Kerberos unavailable: {LIBRARY:?} lacks {}", $name);
                return None;
            }
            // SAFETY: the symbol is the GSSAPI function of that name, whose C signature
            // (RFC 2744, MIT's gssapi_ext.h) is the field's type.
            unsafe { std::mem::transmute::<*mut c_void, $ty>(p) }
        }};
    }
    Some(Api {
        import_name: sym!("gss_import_name", ImportNameFn),
        display_name: sym!("gss_display_name", DisplayNameFn),
        release_name: sym!("gss_release_name", ReleaseNameFn),
        acquire_cred_from: sym!("gss_acquire_cred_from", AcquireCredFromFn),
        acquire_cred_with_password: sym!(
            "gss_acquire_cred_with_password",
            AcquireCredWithPasswordFn
        ),
        inquire_cred: sym!("gss_inquire_cred", InquireCredFn),
        release_cred: sym!("gss_release_cred", ReleaseCredFn),
        init_sec_context: sym!("gss_init_sec_context", InitSecContextFn),
        inquire_sec_context_by_oid: sym!(
            "gss_inquire_sec_context_by_oid",
            InquireSecContextByOidFn
        ),
        verify_mic: sym!("gss_verify_mic", VerifyMicFn),
        delete_sec_context: sym!("gss_delete_sec_context", DeleteSecContextFn),
        release_buffer: sym!("gss_release_buffer", ReleaseBufferFn),
        release_buffer_set: sym!("gss_release_buffer_set", ReleaseBufferSetFn),
        display_status: sym!("gss_display_status", DisplayStatusFn),
    })
}

/// True if the system's GSSAPI library could be loaded.
pub fn available() -> bool {
    api().is_ok()
}

fn oid(bytes: &'static [u8]) -> OidDesc {
    OidDesc {
        length: bytes.len() as OmUint32,
        elements: bytes.as_ptr() as *mut c_void,
    }
}

/// What went wrong in a GSSAPI call, classified for the error mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GssError {
    /// The class of failure.
    pub kind: GssErrorKind,
    /// The library's own words (major and minor status), for logs and extended errors.
    pub message: String,
}

/// Classes of Kerberos failure that users and the error mapping tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GssErrorKind {
    /// The GSSAPI library is not installed.
    Unavailable,
    /// No usable ticket: no credentials cache, or only expired tickets in it.
    NoCredentials,
    /// The ticket (or the password's account) has expired.
    Expired,
    /// The service principal `cifs/<server>` is unknown to the KDC.
    ServerPrincipalUnknown,
    /// The client principal is unknown to the KDC.
    ClientPrincipalUnknown,
    /// The password was wrong (pre-authentication failed).
    BadPassword,
    /// The clocks of this machine and the KDC or server differ too much.
    ClockSkew,
    /// No KDC could be reached for the realm.
    KdcUnreachable,
    /// Anything else.
    Other,
}

impl GssError {
    fn unavailable() -> GssError {
        GssError {
            kind: GssErrorKind::Unavailable,
            message: format!("Kerberos is unavailable: {LIBRARY:?} cannot be loaded"),
        }
    }

    fn from_status(api: &Api, what: &str, major: OmUint32, minor: OmUint32) -> GssError {
        let mut text = format!("{what}: {}", status_text(api, major, GSS_C_GSS_CODE));
        if minor != 0 {
            text.push_str(": ");
            text.push_str(&status_text(api, minor, GSS_C_MECH_CODE));
        }
        let kind = classify(major, minor);
        GssError {
            kind,
            message: text,
        }
    }
}

impl fmt::Display for GssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GssError {}

/// Maps a status pair to its class: krb5 minor codes first (they are specific), then the
/// GSS routine error.
fn classify(major: OmUint32, minor: OmUint32) -> GssErrorKind {
    let code = i64::from(minor as i32) - KRB5_BASE;
    match code {
        6 => return GssErrorKind::ClientPrincipalUnknown, // KDC_ERR_C_PRINCIPAL_UNKNOWN
        7 => return GssErrorKind::ServerPrincipalUnknown, // KDC_ERR_S_PRINCIPAL_UNKNOWN
        23 => return GssErrorKind::Expired,               // KDC_ERR_KEY_EXP (password)
        24 | 31 => return GssErrorKind::BadPassword,      // PREAUTH_FAILED, AP_ERR_BAD_INTEGRITY
        32 => return GssErrorKind::Expired,               // AP_ERR_TKT_EXPIRED
        37 => return GssErrorKind::ClockSkew,             // AP_ERR_SKEW
        154 | 156 => return GssErrorKind::KdcUnreachable, // REALM_UNKNOWN, KDC_UNREACH
        141 | 195 | 196 => return GssErrorKind::NoCredentials, // CC_NOTFOUND, FCC_NOFILE, ..
        _ => {}
    }
    match major >> 16 {
        7 => GssErrorKind::NoCredentials, // GSS_S_NO_CRED
        11 => GssErrorKind::Expired,      // GSS_S_CREDENTIALS_EXPIRED
        _ => GssErrorKind::Other,
    }
}

fn status_text(api: &Api, status: OmUint32, kind: c_int) -> String {
    let mut out = Vec::new();
    let mut context: OmUint32 = 0;
    // Bounded: the library gives one line per call until the context returns to 0.
    for _ in 0..8 {
        let mut minor = 0;
        let mut buf = BufferDesc::EMPTY;
        // SAFETY: valid out-pointers; the buffer is released below.
        let major = unsafe {
            (api.display_status)(
                &mut minor,
                status,
                kind,
                ptr::null(),
                &mut context,
                &mut buf,
            )
        };
        if major != GSS_S_COMPLETE {
            break;
        }
        out.push(take_buffer(api, &mut buf));
        if context == 0 {
            break;
        }
    }
    let text: Vec<String> = out
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    text.join("; ")
}

/// Copies a library-owned buffer and releases it.
fn take_buffer(api: &Api, buf: &mut BufferDesc) -> Vec<u8> {
    let bytes = if buf.value.is_null() || buf.length == 0 {
        Vec::new()
    } else {
        // SAFETY: the library returned `length` readable bytes at `value`.
        unsafe { std::slice::from_raw_parts(buf.value as *const u8, buf.length) }.to_vec()
    };
    let mut minor = 0;
    // SAFETY: a buffer the library allocated, released once.
    unsafe { (api.release_buffer)(&mut minor, buf) };
    bytes
}

/// A GSS name (a principal).
struct GssName {
    api: &'static Api,
    raw: Name,
}

impl GssName {
    fn import(
        api: &'static Api,
        text: &str,
        name_type: &'static [u8],
    ) -> Result<GssName, GssError> {
        let mut minor = 0;
        let mut raw: Name = ptr::null_mut();
        let buf = BufferDesc::borrowing(text.as_bytes());
        let nt = oid(name_type);
        // SAFETY: the input buffer and OID outlive the call; `raw` receives an owned name.
        let major = unsafe { (api.import_name)(&mut minor, &buf, &nt, &mut raw) };
        if major != GSS_S_COMPLETE {
            return Err(GssError::from_status(api, "importing a name", major, minor));
        }
        Ok(GssName { api, raw })
    }

    fn display(&self) -> String {
        let mut minor = 0;
        let mut buf = BufferDesc::EMPTY;
        // SAFETY: a valid name; the buffer is released by take_buffer.
        let major =
            unsafe { (self.api.display_name)(&mut minor, self.raw, &mut buf, ptr::null_mut()) };
        if major != GSS_S_COMPLETE {
            return String::new();
        }
        String::from_utf8_lossy(&take_buffer(self.api, &mut buf)).into_owned()
    }
}

impl Drop for GssName {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: owned, released once.
        unsafe { (self.api.release_name)(&mut minor, &mut self.raw) };
    }
}

/// Initiator credentials: a ticket-granting ticket from a ccache, or one got with a password.
pub struct Credentials {
    api: &'static Api,
    raw: Cred,
    principal: String,
}

// SAFETY: a GSS credential handle is not tied to the thread that made it (MIT krb5 is
// thread-safe for distinct handles), and `Credentials` is only used by one owner at a time.
unsafe impl Send for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The default principal's credentials from the credentials cache `ccache` (a
    /// `KRB5CCNAME` value such as `FILE:/tmp/krb5cc_1000`, `KEYRING:persistent:1000`,
    /// `KCM:`), or from the library's default cache when `None`.
    ///
    /// # Errors
    /// [`GssErrorKind::NoCredentials`] when the cache does not exist or holds no valid
    /// ticket; [`GssErrorKind::Expired`]; [`GssErrorKind::Unavailable`].
    pub fn from_ccache(ccache: Option<&str>) -> Result<Credentials, GssError> {
        let api = api()?;
        let value = ccache
            .map(|c| {
                CString::new(c).map_err(|_| no_creds("the credentials cache name holds a NUL"))
            })
            .transpose()?;
        let element = value.as_ref().map(|v| KeyValueElement {
            key: c"ccache".as_ptr(),
            value: v.as_ptr(),
        });
        let store = element.as_ref().map(|e| KeyValueSet {
            count: 1,
            elements: e,
        });
        let mechs_oid = oid(KRB5_MECH);
        let mechs = OidSetDesc {
            count: 1,
            elements: &mechs_oid as *const OidDesc as *mut OidDesc,
        };
        let mut minor = 0;
        let mut raw: Cred = ptr::null_mut();
        // SAFETY: every pointer outlives the call; `raw` receives an owned credential.
        let major = unsafe {
            (api.acquire_cred_from)(
                &mut minor,
                ptr::null_mut(),
                0,
                &mechs,
                GSS_C_INITIATE,
                store
                    .as_ref()
                    .map_or(ptr::null(), |s| s as *const KeyValueSet),
                &mut raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if major != GSS_S_COMPLETE {
            return Err(GssError::from_status(
                api,
                "acquiring Kerberos credentials",
                major,
                minor,
            ));
        }
        Credentials::checked(api, raw)
    }

    /// Credentials for `principal` (`alice@REALM`, or `alice` in the default realm) got from
    /// the KDC with `password`, kept in memory only.
    ///
    /// # Errors
    /// [`GssErrorKind::BadPassword`], [`GssErrorKind::ClientPrincipalUnknown`],
    /// [`GssErrorKind::KdcUnreachable`], [`GssErrorKind::ClockSkew`], ...
    pub fn from_password(principal: &str, password: &str) -> Result<Credentials, GssError> {
        let api = api()?;
        let name = GssName::import(api, principal, NT_KRB5_PRINCIPAL)?;
        let pw = BufferDesc::borrowing(password.as_bytes());
        let mechs_oid = oid(KRB5_MECH);
        let mechs = OidSetDesc {
            count: 1,
            elements: &mechs_oid as *const OidDesc as *mut OidDesc,
        };
        let mut minor = 0;
        let mut raw: Cred = ptr::null_mut();
        // SAFETY: every pointer outlives the call; `raw` receives an owned credential.
        let major = unsafe {
            (api.acquire_cred_with_password)(
                &mut minor,
                name.raw,
                &pw,
                0,
                &mechs,
                GSS_C_INITIATE,
                &mut raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if major != GSS_S_COMPLETE {
            return Err(GssError::from_status(
                api,
                "getting a Kerberos ticket with the password",
                major,
                minor,
            ));
        }
        Credentials::checked(api, raw)
    }

    /// Reads the principal and refuses credentials whose lifetime is over.
    fn checked(api: &'static Api, raw: Cred) -> Result<Credentials, GssError> {
        let mut creds = Credentials {
            api,
            raw,
            principal: String::new(),
        };
        let mut minor = 0;
        let mut name: Name = ptr::null_mut();
        let mut lifetime: OmUint32 = 0;
        // SAFETY: a valid credential; `name` receives an owned name.
        let major = unsafe {
            (api.inquire_cred)(
                &mut minor,
                creds.raw,
                &mut name,
                &mut lifetime,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if major != GSS_S_COMPLETE {
            return Err(GssError::from_status(
                api,
                "reading the Kerberos credentials",
                major,
                minor,
            ));
        }
        let name = GssName { api, raw: name };
        creds.principal = name.display();
        if lifetime == 0 {
            return Err(GssError {
                kind: GssErrorKind::Expired,
                message: format!("the Kerberos ticket of {} has expired", creds.principal),
            });
        }
        Ok(creds)
    }

    /// The client principal (`alice@CORP.TEST`).
    pub fn principal(&self) -> &str {
        &self.principal
    }
}

fn no_creds(message: &str) -> GssError {
    GssError {
        kind: GssErrorKind::NoCredentials,
        message: message.to_owned(),
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: owned, released once.
        unsafe { (self.api.release_cred)(&mut minor, &mut self.raw) };
    }
}

/// One initiator security context with a service (`cifs@server`).
pub struct Context {
    api: &'static Api,
    raw: Ctx,
    target: GssName,
    creds: Credentials,
    complete: bool,
}

// SAFETY: as for `Credentials`: the context has a single owner that may move between threads.
unsafe impl Send for Context {}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("principal", &self.creds.principal)
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

/// What one step of the context loop produced.
#[derive(Debug)]
pub struct Step {
    /// The token to send (may be empty).
    pub token: Vec<u8>,
    /// The context is established (mutual authentication, if asked, was checked).
    pub complete: bool,
}

impl Context {
    /// A context for service `service` on `host` (`cifs`, `fs.corp.test`): the principal
    /// `cifs/fs.corp.test` in the realm krb5.conf maps the host to.
    ///
    /// # Errors
    /// [`GssErrorKind::Other`] for a name the library refuses.
    pub fn new(creds: Credentials, service: &str, host: &str) -> Result<Context, GssError> {
        let target = GssName::import(
            creds.api,
            &format!("{service}@{host}"),
            NT_HOSTBASED_SERVICE,
        )?;
        Ok(Context {
            api: creds.api,
            raw: ptr::null_mut(),
            target,
            creds,
            complete: false,
        })
    }

    /// The client principal.
    pub fn principal(&self) -> &str {
        self.creds.principal()
    }

    /// One call of `gss_init_sec_context` with the server's token (empty at first).
    ///
    /// # Errors
    /// The library's failure, classified (an unknown server principal, clock skew, an
    /// expired ticket, a forged or wrong AP-REP, ...).
    pub fn step(&mut self, input: &[u8]) -> Result<Step, GssError> {
        let mut minor = 0;
        let mech = oid(KRB5_MECH);
        let input_buf = BufferDesc::borrowing(input);
        let mut output = BufferDesc::EMPTY;
        let mut ret_flags: OmUint32 = 0;
        // SAFETY: handles are valid (the context starts null, as the API wants); the output
        // buffer is released by take_buffer.
        let major = unsafe {
            (self.api.init_sec_context)(
                &mut minor,
                self.creds.raw,
                &mut self.raw,
                self.target.raw,
                &mech,
                REQ_FLAGS,
                0,
                ptr::null(),
                if input.is_empty() {
                    ptr::null()
                } else {
                    &input_buf
                },
                ptr::null_mut(),
                &mut output,
                &mut ret_flags,
                ptr::null_mut(),
            )
        };
        let token = take_buffer(self.api, &mut output);
        match major {
            GSS_S_COMPLETE => {
                if ret_flags & MUTUAL_FLAG == 0 {
                    return Err(GssError {
                        kind: GssErrorKind::Other,
                        message: "the server did not prove its identity (no mutual authentication)"
                            .into(),
                    });
                }
                self.complete = true;
                Ok(Step {
                    token,
                    complete: true,
                })
            }
            GSS_S_CONTINUE_NEEDED => Ok(Step {
                token,
                complete: false,
            }),
            _ => Err(GssError::from_status(
                self.api,
                "Kerberos authentication",
                major,
                minor,
            )),
        }
    }

    /// The session key (`GSS_C_INQ_SSPI_SESSION_KEY`): the acceptor's subkey if it sent one,
    /// else the ticket's session key. Only once the context is complete.
    pub fn session_key(&self) -> Option<Vec<u8>> {
        if !self.complete {
            return None;
        }
        let mut minor = 0;
        let what = oid(INQ_SSPI_SESSION_KEY);
        let mut set: *mut BufferSetDesc = ptr::null_mut();
        // SAFETY: a complete context; the set is released below.
        let major =
            unsafe { (self.api.inquire_sec_context_by_oid)(&mut minor, self.raw, &what, &mut set) };
        if major != GSS_S_COMPLETE || set.is_null() {
            return None;
        }
        // SAFETY: the library returned a set of `count` buffers; the first is the key.
        let key = unsafe {
            let s = &*set;
            if s.count == 0 || s.elements.is_null() {
                None
            } else {
                let b = &*s.elements;
                Some(std::slice::from_raw_parts(b.value as *const u8, b.length).to_vec())
            }
        };
        // SAFETY: released once.
        unsafe { (self.api.release_buffer_set)(&mut minor, &mut set) };
        key
    }

    /// Verifies a MIC the server computed over `message` (SPNEGO's mechListMIC).
    pub fn verify_mic(&self, message: &[u8], mic: &[u8]) -> bool {
        if !self.complete {
            return false;
        }
        let mut minor = 0;
        let m = BufferDesc::borrowing(message);
        let t = BufferDesc::borrowing(mic);
        // SAFETY: a complete context and borrowed buffers.
        let major = unsafe { (self.api.verify_mic)(&mut minor, self.raw, &m, &t, ptr::null_mut()) };
        major == GSS_S_COMPLETE
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if self.raw.is_null() {
            return;
        }
        let mut minor = 0;
        // SAFETY: owned, deleted once; no output token wanted.
        unsafe { (self.api.delete_sec_context)(&mut minor, &mut self.raw, ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_loads_here() {
        assert!(
            available(),
            "libgssapi_krb5.so.2 is installed by .ci/install-deps"
        );
    }

    #[test]
    fn a_missing_ccache_is_no_credentials() {
        let e =
            Credentials::from_ccache(Some("FILE:/nonexistent/wnet-no-such-ccache")).unwrap_err();
        assert_eq!(e.kind, GssErrorKind::NoCredentials, "{e}");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn krb5_error_codes_are_classified() {
        let code = |n: i64| (KRB5_BASE + n) as i32 as u32;
        assert_eq!(classify(0xD << 16, code(37)), GssErrorKind::ClockSkew);
        assert_eq!(
            classify(0xD << 16, code(7)),
            GssErrorKind::ServerPrincipalUnknown
        );
        assert_eq!(classify(0xD << 16, code(156)), GssErrorKind::KdcUnreachable);
        assert_eq!(classify(7 << 16, 0), GssErrorKind::NoCredentials);
        assert_eq!(classify(0xD << 16, 12345), GssErrorKind::Other);
    }
}

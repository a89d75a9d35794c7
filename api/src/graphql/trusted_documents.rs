//! Trusted documents (persisted queries): which documents a caller may run, and how a
//! document sent by its hash becomes text. The policy lives here, once; the pipeline
//! (`http/pipeline.rs`) calls [`TrustedDocuments::resolve`] before the document guard
//! and [`TrustedDocuments::permit`] once the caller is known, on HTTP POST, GET and the
//! WebSocket alike.
//!
//! - The **manifest** (`TRUSTED_DOCUMENTS_FILE`) is a JSON object from
//!   `"sha256:<hex>"` to a document's exact text, as `api documents build` writes it
//!   from a client's `.graphql` files. Every key must be the SHA-256 of its text; a file
//!   that breaks that (or is over [`MAX_MANIFEST_BYTES`] or [`MAX_MANIFEST_DOCUMENTS`])
//!   is refused at start, and on SIGHUP keeps the manifest that was loaded before.
//!   Only manifest documents are *trusted*.
//! - A request names a document by `documentId: "sha256:<hex>"` (the GraphQL over HTTP
//!   persisted-documents proposal) or by Apollo's automatic persisted queries,
//!   `extensions.persistedQuery { version: 1, sha256Hash }`. An id the server does not
//!   know is `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`, HTTP 200,
//!   what Apollo Client's link retries on); a malformed id, or an id sent with a text
//!   whose hash is another, is `BAD_USER_INPUT`.
//! - Apollo's hash sent with its text registers the text in a bounded in-memory cache
//!   ([`APQ_ENTRIES`], [`APQ_BYTES`]), so the next request may send the hash alone.
//!   Registering is allowed only to callers who may send any document, and a
//!   registered document is never trusted: under a requiring policy it is no way around
//!   the manifest.
//! - The policy (`TRUSTED_DOCUMENTS`, [`Policy`]) says who may run documents outside the
//!   manifest. A refusal is `FORBIDDEN` and says what to do.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context as _;
use async_graphql::Value;
use lru::LruCache;
use sha2::{Digest as _, Sha256};

use crate::auth::Viewer;

/// Who may run documents that are not in the manifest (`TRUSTED_DOCUMENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    /// Persisted documents are off: no manifest is loaded, nothing is registered, every
    /// id is unknown (`PERSISTED_QUERY_NOT_FOUND`, so Apollo's link falls back to
    /// sending the text), and every document sent as text runs.
    Off,
    /// Every caller may run any document; the manifest and Apollo's registered
    /// documents are served by id (the default: clients that send `query` see no
    /// change).
    Allow,
    /// Callers without a token run only manifest documents; signed-in callers (staff,
    /// fellows, partners) run anything.
    RequireAnonymous,
    /// Only staff run documents outside the manifest (so the playground keeps working
    /// for them); everyone else runs manifest documents only.
    Require,
}

impl Policy {
    /// Whether `viewer` may run (and register) documents outside the manifest.
    pub fn lets_send_any(self, viewer: &Viewer) -> bool {
        match self {
            Policy::Off | Policy::Allow => true,
            Policy::RequireAnonymous => !matches!(viewer, Viewer::Anonymous),
            Policy::Require => viewer.is_staff(),
        }
    }

    /// Its name, as `TRUSTED_DOCUMENTS` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Off => "off",
            Policy::Allow => "allow",
            Policy::RequireAnonymous => "require-anonymous",
            Policy::Require => "require",
        }
    }

    /// What the refusal of a document outside the manifest tells the caller to do.
    fn refusal(self) -> &'static str {
        match self {
            Policy::Require => {
                "This server runs only trusted documents, except for staff: send a \
                 `documentId` from the client's manifest, or sign in as staff."
            }
            _ => {
                "This server runs only trusted documents for callers without a token: \
                 send a `documentId` from the client's manifest, or sign in."
            }
        }
    }
}

/// Largest manifest file read.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Most documents a manifest holds.
pub const MAX_MANIFEST_DOCUMENTS: usize = 10_000;
/// Most documents Apollo's automatic persisted queries keep registered, per process.
pub const APQ_ENTRIES: usize = 1_000;
/// Most text (bytes) they keep in all; the least recently used go first.
pub const APQ_BYTES: usize = 8 * 1024 * 1024;
/// Most `.graphql` files `api documents build` reads.
pub const MAX_BUILD_FILES: usize = MAX_MANIFEST_DOCUMENTS;

/// A document's SHA-256, the key of the manifest and of the registered documents.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentHash([u8; 32]);

impl DocumentHash {
    /// The hash of `text` as sent (no normalisation: the manifest's keys are of the
    /// exact text, as clients and their build tools compute them).
    pub fn of(text: &str) -> DocumentHash {
        DocumentHash(Sha256::digest(text.as_bytes()).into())
    }

    /// Reads 64 lowercase hexadecimal digits.
    pub fn from_hex(hex: &str) -> Option<DocumentHash> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let digit = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(DocumentHash(out))
    }

    /// Reads a document id, `sha256:` and 64 lowercase hexadecimal digits.
    pub fn from_id(id: &str) -> Option<DocumentHash> {
        id.strip_prefix("sha256:").and_then(DocumentHash::from_hex)
    }

    /// Its 64 lowercase hexadecimal digits.
    pub fn hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    /// Its document id, `sha256:<hex>`.
    pub fn id(&self) -> String {
        format!("sha256:{}", self.hex())
    }
}

impl std::fmt::Debug for DocumentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id())
    }
}

/// The trusted documents, by hash.
#[derive(Debug, Default)]
pub struct Manifest {
    documents: HashMap<DocumentHash, Arc<str>>,
}

impl Manifest {
    /// Reads a manifest's JSON, checking every key against its text.
    pub fn parse(json: &[u8]) -> anyhow::Result<Manifest> {
        let entries: BTreeMap<String, String> = serde_json::from_slice(json).context(
            "the manifest must be a JSON object from \"sha256:<hex>\" to a document's text",
        )?;
        if entries.len() > MAX_MANIFEST_DOCUMENTS {
            anyhow::bail!(
                "the manifest holds {} documents; the most it may hold is {MAX_MANIFEST_DOCUMENTS}",
                entries.len()
            );
        }
        let mut documents = HashMap::with_capacity(entries.len());
        for (key, text) in entries {
            let Some(hash) = DocumentHash::from_id(&key) else {
                anyhow::bail!(
                    "the manifest key {key:?} is not `sha256:` followed by 64 lowercase hexadecimal digits"
                );
            };
            let actual = DocumentHash::of(&text);
            if actual != hash {
                anyhow::bail!(
                    "the manifest key {key:?} is not the SHA-256 of its document, which is {}: \
                     rebuild the manifest with `api documents build`",
                    actual.id()
                );
            }
            documents.insert(hash, Arc::from(text));
        }
        Ok(Manifest { documents })
    }

    /// Reads the manifest at `path`, at most [`MAX_MANIFEST_BYTES`] of it.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        use std::io::Read;
        let file = std::fs::File::open(path)
            .with_context(|| format!("could not open the manifest {}", path.display()))?;
        let mut json = Vec::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut json)
            .with_context(|| format!("could not read the manifest {}", path.display()))?;
        if json.len() as u64 > MAX_MANIFEST_BYTES {
            anyhow::bail!(
                "the manifest {} is larger than {MAX_MANIFEST_BYTES} bytes",
                path.display()
            );
        }
        Manifest::parse(&json).with_context(|| format!("in the manifest {}", path.display()))
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    fn get(&self, hash: &DocumentHash) -> Option<&Arc<str>> {
        self.documents.get(hash)
    }
}

/// The manifest of every `*.graphql` file under `dir` (recursively, one document per
/// file, its text as it is), as JSON with its keys in order: the same files always give
/// the same bytes.
pub fn build_manifest(dir: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("could not read the folder {}", folder.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("could not read {}", folder.display()))?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "graphql") {
                files.push(path);
                if files.len() > MAX_BUILD_FILES {
                    anyhow::bail!(
                        "{} holds more than {MAX_BUILD_FILES} .graphql files",
                        dir.display()
                    );
                }
            }
        }
    }
    files.sort();
    let mut manifest = BTreeMap::new();
    let mut total = 0u64;
    for path in &files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {} as UTF-8 text", path.display()))?;
        total += text.len() as u64;
        if total > MAX_MANIFEST_BYTES {
            anyhow::bail!(
                "the documents under {} pass {MAX_MANIFEST_BYTES} bytes",
                dir.display()
            );
        }
        manifest.insert(DocumentHash::of(&text).id(), text);
    }
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    Ok(json)
}

/// How a request named its document, once [`TrustedDocuments::resolve`] has put the
/// text in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A document of the manifest, however it was sent (by id, by hash, or as its text).
    Manifest,
    /// Text that is not in the manifest.
    Text,
    /// Text sent with Apollo's hash, to be registered once the caller may ([`permit`]).
    ///
    /// [`permit`]: TrustedDocuments::permit
    Registering(DocumentHash),
    /// A document registered earlier by Apollo's hash, sent by the hash alone.
    Registered,
}

impl Source {
    /// Whether the document is in the manifest.
    pub fn trusted(self) -> bool {
        self == Source::Manifest
    }
}

/// Why a request's document cannot be found or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// An id the server does not know: `PERSISTED_QUERY_NOT_FOUND`.
    NotFound,
    /// A malformed id, or one that is not the hash of the text sent with it:
    /// `BAD_USER_INPUT`, with the sentence.
    BadInput(&'static str),
}

/// The message Apollo Client's link recognises besides the code.
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// The process's trusted documents: the policy, the manifest (replaced on reload) and
/// the documents Apollo's clients registered.
pub struct TrustedDocuments {
    policy: Policy,
    file: Option<PathBuf>,
    manifest: RwLock<Arc<Manifest>>,
    registered: Mutex<Registered>,
}

impl std::fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedDocuments")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl TrustedDocuments {
    /// Loads the manifest at `file` under `policy`; a policy that requires trusted
    /// documents needs one. Under `off` no file is read.
    pub fn load(policy: Policy, file: Option<&Path>) -> anyhow::Result<TrustedDocuments> {
        let manifest = match (policy, file) {
            (Policy::Off, Some(_)) => {
                tracing::warn!("TRUSTED_DOCUMENTS=off: TRUSTED_DOCUMENTS_FILE is not read");
                Manifest::default()
            }
            (Policy::RequireAnonymous | Policy::Require, None) => anyhow::bail!(
                "TRUSTED_DOCUMENTS={} needs a manifest: set TRUSTED_DOCUMENTS_FILE \
                 (`api documents build DIR` makes one)",
                policy.as_str()
            ),
            (_, Some(path)) => {
                let manifest = Manifest::load(path)?;
                tracing::info!(
                    path = %path.display(),
                    documents = manifest.len(),
                    policy = policy.as_str(),
                    "trusted documents loaded"
                );
                manifest
            }
            (_, None) => Manifest::default(),
        };
        Ok(TrustedDocuments {
            policy,
            file: file
                .filter(|_| policy != Policy::Off)
                .map(Path::to_path_buf),
            manifest: RwLock::new(Arc::new(manifest)),
            registered: Mutex::new(Registered::new()),
        })
    }

    /// No manifest, under the default policy.
    pub fn allow_all() -> TrustedDocuments {
        TrustedDocuments::load(Policy::Allow, None).expect("no file to read")
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Reads the manifest file again (on SIGHUP). A file that cannot be read or is not
    /// a valid manifest keeps the manifest loaded before; the error is returned (and
    /// logged by the caller).
    pub fn reload(&self) -> anyhow::Result<usize> {
        let Some(path) = &self.file else {
            return Ok(0);
        };
        let manifest = Manifest::load(path)?;
        let count = manifest.len();
        if let Ok(mut current) = self.manifest.write() {
            *current = Arc::new(manifest);
        }
        Ok(count)
    }

    fn manifest(&self) -> Arc<Manifest> {
        self.manifest
            .read()
            .map(|m| m.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Puts the text of the document a request names by `document_id` or by Apollo's
    /// `extensions.persistedQuery` in its `query`, and says where it came from. A
    /// request that names no document by id keeps its text.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Result<Source, Unresolved> {
        let by_id = match document_id {
            Some(id) => Some(DocumentHash::from_id(id).ok_or(Unresolved::BadInput(
                "A `documentId` is `sha256:` followed by 64 lowercase hexadecimal digits.",
            ))?),
            None => None,
        };
        let by_apq = apollo_hash(&request.extensions)?;
        let hash = match (by_id, by_apq) {
            (Some(id), Some(apq)) if id != apq => {
                return Err(Unresolved::BadInput(
                    "The `documentId` and `extensions.persistedQuery.sha256Hash` name different documents.",
                ))
            }
            (Some(hash), _) | (None, Some(hash)) => Some(hash),
            (None, None) => None,
        };
        let manifest = self.manifest();
        let Some(hash) = hash else {
            // Text alone: trusted when it is a manifest document's exact text (hashed
            // only when there is a manifest to find it in).
            if !manifest.is_empty() && manifest.get(&DocumentHash::of(&request.query)).is_some() {
                return Ok(Source::Manifest);
            }
            return Ok(Source::Text);
        };
        if !request.query.is_empty() {
            if DocumentHash::of(&request.query) != hash {
                return Err(Unresolved::BadInput(
                    "The document's SHA-256 is not the hash sent with it: hash the exact text sent as `query`.",
                ));
            }
            return Ok(if manifest.get(&hash).is_some() {
                Source::Manifest
            } else if by_apq.is_some() && self.policy != Policy::Off {
                Source::Registering(hash)
            } else {
                Source::Text
            });
        }
        if let Some(text) = manifest.get(&hash) {
            request.query = text.to_string();
            return Ok(Source::Manifest);
        }
        if self.policy != Policy::Off {
            if let Some(text) = self.registered.lock().ok().and_then(|mut r| r.get(&hash)) {
                request.query = text.to_string();
                return Ok(Source::Registered);
            }
        }
        Err(Unresolved::NotFound)
    }

    /// Whether `viewer` may run a document from `source`; registers a document sent
    /// with Apollo's hash when they may. The error is the sentence of the refusal.
    pub fn permit(&self, source: Source, viewer: &Viewer, text: &str) -> Result<(), &'static str> {
        if source.trusted() {
            return Ok(());
        }
        if !self.policy.lets_send_any(viewer) {
            return Err(self.policy.refusal());
        }
        if let Source::Registering(hash) = source {
            if let Ok(mut registered) = self.registered.lock() {
                registered.put(hash, text);
            }
        }
        Ok(())
    }
}

/// Apollo's `extensions.persistedQuery.sha256Hash`, if the request carries one.
fn apollo_hash(extensions: &async_graphql::Extensions) -> Result<Option<DocumentHash>, Unresolved> {
    let Some(persisted) = extensions.0.get("persistedQuery") else {
        return Ok(None);
    };
    const MALFORMED: Unresolved = Unresolved::BadInput(
        "`extensions.persistedQuery` is `{ \"version\": 1, \"sha256Hash\": \"<64 lowercase hexadecimal digits>\" }`.",
    );
    let Value::Object(fields) = persisted else {
        return Err(MALFORMED);
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => {
            return Err(Unresolved::BadInput(
                "Only version 1 of `extensions.persistedQuery` is supported.",
            ))
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hex)) => DocumentHash::from_hex(hex).map(Some).ok_or(MALFORMED),
        _ => Err(MALFORMED),
    }
}

/// Documents registered by Apollo's hash: least recently used first out, bounded in
/// entries and in bytes of text.
struct Registered {
    cache: LruCache<DocumentHash, Arc<str>>,
    bytes: usize,
}

impl Registered {
    fn new() -> Registered {
        Registered {
            cache: LruCache::new(NonZeroUsize::new(APQ_ENTRIES).expect("a cache holds something")),
            bytes: 0,
        }
    }

    fn get(&mut self, hash: &DocumentHash) -> Option<Arc<str>> {
        self.cache.get(hash).cloned()
    }

    fn put(&mut self, hash: DocumentHash, text: &str) {
        if text.len() > APQ_BYTES || self.cache.contains(&hash) {
            return;
        }
        while self.bytes + text.len() > APQ_BYTES || self.cache.len() == self.cache.cap().get() {
            match self.cache.pop_lru() {
                Some((_, old)) => self.bytes -= old.len(),
                None => break,
            }
        }
        self.bytes += text.len();
        self.cache.put(hash, Arc::from(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FELLOWS: &str = "{ fellows { totalCount } }";

    fn manifest_of(texts: &[&str]) -> Vec<u8> {
        let map: BTreeMap<String, &str> = texts
            .iter()
            .map(|t| (DocumentHash::of(t).id(), *t))
            .collect();
        serde_json::to_vec(&map).unwrap()
    }

    fn documents(policy: Policy, texts: &[&str]) -> TrustedDocuments {
        let dir = std::env::temp_dir().join(format!("trusted-{}", uuid::Uuid::new_v4()));
        std::fs::write(&dir, manifest_of(texts)).unwrap();
        let documents = TrustedDocuments::load(policy, Some(&dir)).unwrap();
        std::fs::remove_file(&dir).unwrap();
        documents
    }

    fn apq(hash: DocumentHash, query: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        let extensions: async_graphql::Extensions = serde_json::from_value(serde_json::json!({
            "persistedQuery": { "version": 1, "sha256Hash": hash.hex() }
        }))
        .unwrap();
        request.extensions = extensions;
        request
    }

    #[test]
    fn a_hash_reads_back_from_its_hex_and_its_id() {
        let hash = DocumentHash::of(FELLOWS);
        assert_eq!(DocumentHash::from_hex(&hash.hex()), Some(hash));
        assert_eq!(DocumentHash::from_id(&hash.id()), Some(hash));
        assert_eq!(
            DocumentHash::from_id(&hash.hex()),
            None,
            "the prefix is needed"
        );
        assert_eq!(DocumentHash::from_hex(&hash.hex().to_uppercase()), None);
        assert_eq!(DocumentHash::from_hex(&hash.hex()[1..]), None);
        // The SHA-256 of the empty text, as everyone computes it.
        assert_eq!(
            DocumentHash::of("").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_manifest_whose_key_is_not_the_hash_of_its_text_is_refused() {
        let good = manifest_of(&[FELLOWS]);
        assert_eq!(Manifest::parse(&good).unwrap().len(), 1);
        let wrong = serde_json::to_vec(&serde_json::json!({
            DocumentHash::of("{ other }").id(): FELLOWS
        }))
        .unwrap();
        let err = Manifest::parse(&wrong).unwrap_err().to_string();
        assert!(err.contains("not the SHA-256"), "{err}");
        assert!(Manifest::parse(b"[]").is_err());
        assert!(Manifest::parse(br#"{"abc": "{ x }"}"#).is_err());
    }

    #[test]
    fn ids_resolve_to_manifest_text_and_unknown_ids_are_not_found() {
        let documents = documents(Policy::Allow, &[FELLOWS]);
        let mut request = async_graphql::Request::new("");
        let id = DocumentHash::of(FELLOWS).id();
        assert_eq!(
            documents.resolve(&mut request, Some(&id)),
            Ok(Source::Manifest)
        );
        assert_eq!(request.query, FELLOWS);
        let unknown = DocumentHash::of("{ nothing }").id();
        let mut request = async_graphql::Request::new("");
        assert_eq!(
            documents.resolve(&mut request, Some(&unknown)),
            Err(Unresolved::NotFound)
        );
        assert!(matches!(
            documents.resolve(&mut request, Some("sha256:XYZ")),
            Err(Unresolved::BadInput(_))
        ));
        // Text with an id: the id must be its hash.
        let mut request = async_graphql::Request::new("{ viewer { role } }");
        assert!(matches!(
            documents.resolve(&mut request, Some(&id)),
            Err(Unresolved::BadInput(_))
        ));
        // A manifest document's text alone counts as trusted.
        let mut request = async_graphql::Request::new(FELLOWS);
        assert_eq!(documents.resolve(&mut request, None), Ok(Source::Manifest));
    }

    #[test]
    fn apollo_registers_only_for_callers_who_may_send_any_document() {
        let text = "{ strategicAreas { totalCount } }";
        let hash = DocumentHash::of(text);
        let documents = documents(Policy::RequireAnonymous, &[FELLOWS]);
        let mut request = apq(hash, "");
        assert_eq!(
            documents.resolve(&mut request, None),
            Err(Unresolved::NotFound)
        );
        let mut request = apq(hash, text);
        let source = documents.resolve(&mut request, None).unwrap();
        assert_eq!(source, Source::Registering(hash));
        assert!(documents.permit(source, &Viewer::Anonymous, text).is_err());
        let mut request = apq(hash, "");
        assert_eq!(
            documents.resolve(&mut request, None),
            Err(Unresolved::NotFound),
            "a refused caller registers nothing"
        );
        let staff = Viewer::Staff(crate::auth::User {
            handle: "merve".to_owned(),
            person_id: Some(1),
        });
        assert!(documents.permit(source, &staff, text).is_ok());
        let mut request = apq(hash, "");
        assert_eq!(
            documents.resolve(&mut request, None),
            Ok(Source::Registered)
        );
        assert_eq!(request.query, text);
        assert!(
            documents
                .permit(Source::Registered, &Viewer::Anonymous, text)
                .is_err(),
            "a registered document is not trusted"
        );
    }

    #[test]
    fn under_off_no_id_is_known_and_every_text_runs() {
        let documents = TrustedDocuments::load(Policy::Off, None).unwrap();
        let hash = DocumentHash::of(FELLOWS);
        let mut request = apq(hash, FELLOWS);
        assert_eq!(documents.resolve(&mut request, None), Ok(Source::Text));
        let mut request = apq(hash, "");
        assert_eq!(
            documents.resolve(&mut request, None),
            Err(Unresolved::NotFound)
        );
        assert!(documents
            .permit(Source::Text, &Viewer::Anonymous, FELLOWS)
            .is_ok());
    }

    #[test]
    fn requiring_policies_need_a_manifest() {
        assert!(TrustedDocuments::load(Policy::Require, None).is_err());
        assert!(TrustedDocuments::load(Policy::RequireAnonymous, None).is_err());
    }

    #[test]
    fn registered_documents_stay_within_their_bytes() {
        let mut registered = Registered::new();
        let big = "x".repeat(APQ_BYTES / 3 + 1);
        for i in 0..5 {
            let text = format!("{big}{i}");
            registered.put(DocumentHash::of(&text), &text);
        }
        assert!(registered.bytes <= APQ_BYTES);
        assert_eq!(registered.cache.len(), 2);
    }

    #[test]
    fn a_built_manifest_is_the_same_for_the_same_files_and_loads() {
        let dir = std::env::temp_dir().join(format!("documents-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        std::fs::write(dir.join("b.graphql"), FELLOWS).unwrap();
        std::fs::write(
            dir.join("nested/a.graphql"),
            "query A { viewer { role } }\n",
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not a document").unwrap();
        let once = build_manifest(&dir).unwrap();
        assert_eq!(once, build_manifest(&dir).unwrap());
        let manifest = Manifest::parse(once.as_bytes()).unwrap();
        assert_eq!(manifest.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

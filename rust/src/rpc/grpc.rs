//! The same link over SurrealDB's gRPC service (`grpc://`, `grpcs://`): each
//! request of a session becomes the typed call that carries it, and its
//! answer is shaped as the WebSocket path's, so that a session cannot tell
//! which one it runs on.
//!
//! HTTP/2 multiplexes the calls, so there is no task that owns the socket:
//! each call runs on its own clone of the client. What the WebSocket driver
//! does with its socket, the gRPC driver (`run`) does with a *connection*
//! ([`Conn`]): one tonic channel, allowed one TCP connection. A tonic channel
//! opens a new connection by itself when its own drops, and a restarted
//! server has forgotten every session id; so the connector of a channel opens
//! one connection, and when the channel asks for a second, that is a drop,
//! and the link reconnects as the policy says and restores its sessions on a
//! new channel.
//!
//! A drop is noticed by whichever comes first: the connection's end, read
//! by HTTP/2 ([`Watched`]), a call or a live query's subscription that
//! fails in the transport (a status with a transport error as its source,
//! not one the server sent), the channel asking for a second connection,
//! or the heartbeat: a `health` call that does not answer
//! within the heartbeat's timeout. HTTP/2 keep-alive pings at the heartbeat's
//! interval close a connection that stopped answering, which fails every
//! call on it.
//!
//! The server names a session when it is attached (it refuses ids a client
//! chooses), so each connection keeps the server's id of each session.
//! Live queries run as a LIVE statement, then are subscribed to by their id;
//! the server keeps no notifications for a live query nobody has subscribed
//! to yet, so a change between the two (which take one round trip) is not
//! delivered.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use surrealdb::types::{Action, Notification, Object, Value};
use surrealdb_protocol::proto::rpc::v1 as rpc;
use surrealdb_protocol::proto::rpc::v1::surreal_db_service_client::SurrealDbServiceClient;
use surrealdb_protocol::proto::v1 as proto;
use surrealdb_rpc::{DbResult, QueryResult, QueryType};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tonic::codegen::Service;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Uri};
use uuid::Uuid;

use super::driver::{end_live, notify, register_live, started_live};
use super::restart;
use super::{connection_error, Link, LiveStart, Shared, State};
use crate::error::{FfiError, FfiResult};

type Client = SurrealDbServiceClient<Channel>;

/// A connection lost: which one (its [`Conn::id`]), and why.
type Lost = (u64, String);

/// One connection to the server: a channel, and the sessions the server
/// named on it.
pub(super) struct Conn {
    /// Which connection of the wire it is (each one opened counts one up,
    /// failed restores included), for the reports of its drop.
    id: u64,
    /// The link's generation while this connection is its.
    generation: u64,
    client: Client,
    /// The server's build, as its capabilities report it.
    version: String,
    /// Cancelled when the connection is lost (or the link closed): the calls
    /// on it fail, its subscriptions end.
    gone: CancellationToken,
    reason: Mutex<Option<String>>,
    /// This library's session ids, to the server's.
    sessions: Mutex<HashMap<Uuid, Uuid>>,
    /// The channels the live queries' subscriptions run on (see
    /// [`SUBSCRIPTIONS_PER_CONNECTION`]), opened as they are needed.
    subscribers: tokio::sync::Mutex<Vec<Subscribers>>,
}

/// The most live-query subscriptions one HTTP/2 connection carries.
///
/// A subscription holds its HTTP/2 stream open for as long as its live query
/// lives, and a server allows a connection only so many streams at once
/// (SETTINGS_MAX_CONCURRENT_STREAMS: 200 for SurrealDB's server, hyper's
/// default); the client queues a stream beyond that until one closes, which
/// for a subscription is never. On the connection of the calls, 200 live
/// queries would make every call after them wait for ever. So subscriptions
/// run on connections of their own, this many on each (half the server's
/// default, leaving room for a server that allows fewer), a new one opened
/// when those are full; the calls keep theirs.
///
/// This rather than refusing live queries past a limit: a link has no limit
/// on them over WebSocket either. Each of these connections belongs to the
/// link's [`Conn`], and keeps its resilience rules: it is opened by a
/// [`OneConnection`] under the `Conn`'s id, so its end (read by
/// [`Watched`], a GOAWAY included), a transport failure of one of its
/// subscriptions, or the channel asking for a second connection, is the
/// `Conn`'s loss, and the link reconnects and starts every live query again
/// (on a new `Conn`, with new subscription connections); HTTP/2 keep-alive
/// pings close one that stopped answering, which fails its subscriptions.
const SUBSCRIPTIONS_PER_CONNECTION: usize = 100;

/// One channel (one connection) of subscriptions, and how many it carries.
struct Subscribers {
    client: Client,
    open: Arc<AtomicUsize>,
}

/// A subscription's place on a [`Subscribers`] channel, given back when it
/// is dropped (its subscription ended, or failed to start).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Conn {
    fn sessions(&self) -> MutexGuard<'_, HashMap<Uuid, Uuid>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lose(&self, reason: &str) {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(|| reason.to_owned());
        self.gone.cancel();
    }

    /// A channel for one more subscription, and its place on it: one with
    /// room, or a new one (opened within the heartbeat's timeout, 1 s at
    /// least; one that cannot be opened is a lost connection).
    async fn subscriber(&self, shared: &Shared, wire: &Wire) -> Result<(Client, Slot), Failure> {
        let mut channels = self.subscribers.lock().await;
        let place = |channel: &Subscribers| {
            channel.open.fetch_add(1, Ordering::Relaxed);
            (channel.client.clone(), Slot(Arc::clone(&channel.open)))
        };
        if let Some(channel) = channels
            .iter()
            .find(|channel| channel.open.load(Ordering::Relaxed) < SUBSCRIPTIONS_PER_CONNECTION)
        {
            return Ok(place(channel));
        }
        let limit = shared.heartbeat.answer_limit();
        let client = match timeout(limit, wire.channel(self.id)).await {
            Ok(Ok(client)) => client,
            Ok(Err(reason)) => {
                return Err(Failure::Lost(format!(
                    "a connection for live queries could not be opened: {reason}"
                )))
            }
            Err(_) => {
                return Err(Failure::Lost(format!(
                    "a connection for live queries could not be opened within {} ms",
                    limit.as_millis()
                )))
            }
        };
        channels.push(Subscribers {
            client,
            open: Arc::default(),
        });
        Ok(place(channels.last().expect("just pushed")))
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| "the connection was lost".to_owned())
    }
}

/// The gRPC side of a link: how to open a connection, the current one, and
/// where drops are reported.
pub(super) struct Wire {
    endpoint: Endpoint,
    current: Mutex<Option<Arc<Conn>>>,
    lost: mpsc::UnboundedSender<Lost>,
    opened: AtomicU64,
}

impl Wire {
    /// The wire of `url` (`grpc://` or `grpcs://`), trusting the
    /// certificate authorities in `ca_file` besides the system's.
    pub fn new(
        url: &str,
        ca_file: Option<&std::path::Path>,
        heartbeat: &super::Heartbeat,
    ) -> FfiResult<(Arc<Wire>, mpsc::UnboundedReceiver<Lost>)> {
        let (tls, rest) = match (url.strip_prefix("grpcs://"), url.strip_prefix("grpc://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => {
                return Err(FfiError::invalid_argument(format!(
                    "'{url}' is not a grpc:// or grpcs:// address"
                )))
            }
        };
        if ca_file.is_some() && !tls {
            return Err(FfiError::invalid_argument(format!(
                "'ca_file' is for wss://, https:// and grpcs:// endpoints, not {url}"
            )));
        }
        // tonic speaks HTTP/2 at http:// and https:// addresses.
        let address = format!("{}://{rest}", if tls { "https" } else { "http" });
        let invalid = |error: tonic::transport::Error| {
            FfiError::invalid_argument(format!("'{url}': {error}"))
        };
        let mut endpoint = Endpoint::from_shared(address)
            .map_err(invalid)?
            .connect_timeout(heartbeat.timeout)
            .http2_keep_alive_interval(heartbeat.interval)
            .keep_alive_timeout(heartbeat.timeout)
            .keep_alive_while_idle(true)
            .tcp_nodelay(true);
        if tls {
            // tonic's TLS is rustls: the system's roots (as OpenSSL's are
            // for wss://), and the `ca_file`'s certificates besides.
            let mut config = ClientTlsConfig::new().with_native_roots();
            if let Some(path) = ca_file {
                let pem = std::fs::read(path).map_err(|error| {
                    FfiError::invalid_argument(format!("'ca_file' {}: {error}", path.display()))
                })?;
                config = config.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint.tls_config(config).map_err(invalid)?;
        }
        let (lost, drops) = mpsc::unbounded_channel();
        let wire = Arc::new(Wire {
            endpoint,
            current: Mutex::new(None),
            lost,
            opened: AtomicU64::new(0),
        });
        Ok((wire, drops))
    }

    fn current(&self) -> Option<Arc<Conn>> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn install(&self, conn: Arc<Conn>) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(conn);
    }

    fn report(&self, conn: &Conn, reason: String) {
        let _ = self.lost.send((conn.id, reason));
    }

    /// Opens a connection for generation `generation`, within `limit`, and
    /// reads the server's capabilities over it (which a server that does not
    /// speak gRPC fails).
    pub async fn open(&self, generation: u64, limit: Duration) -> Result<Arc<Conn>, String> {
        let id = self.opened.fetch_add(1, Ordering::Relaxed);
        let opened = async {
            let mut client = self.channel(id).await?;
            let capabilities = client
                .get_capabilities(rpc::GetCapabilitiesRequest {
                    context: None,
                    client: Some(rpc::ClientInfo {
                        name: "surrealcpp".to_owned(),
                        version: env!("CARGO_PKG_VERSION").to_owned(),
                        platform: "c++".to_owned(),
                        metadata: Vec::new(),
                    }),
                })
                .await
                .map_err(|status| status_text(&status))?
                .into_inner()
                .capabilities
                .unwrap_or_default();
            Ok::<_, String>((client, capabilities.server_version))
        };
        let (client, version) = match timeout(limit, opened).await {
            Ok(opened) => opened?,
            Err(_) => {
                return Err(format!(
                    "no gRPC connection within {} ms",
                    limit.as_millis()
                ))
            }
        };
        Ok(Arc::new(Conn {
            id,
            generation,
            client,
            version,
            gone: CancellationToken::new(),
            reason: Mutex::new(None),
            sessions: Mutex::default(),
            subscribers: tokio::sync::Mutex::default(),
        }))
    }

    /// Opens a channel of one connection, whose drop is reported as the
    /// drop of connection `id` (see [`OneConnection`]).
    async fn channel(&self, id: u64) -> Result<Client, String> {
        let connector = OneConnection {
            opened: Arc::default(),
            lost: self.lost.clone(),
            id,
        };
        let channel = self
            .endpoint
            .connect_with_connector(connector)
            .await
            .map_err(|error| describe(&error))?;
        Ok(Client::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX))
    }
}

/// The connector of one channel: it opens the channel's first connection,
/// and refuses the next, reporting the first's drop (the link opens a new
/// channel, and restores its sessions on it).
#[derive(Clone)]
struct OneConnection {
    opened: Arc<AtomicBool>,
    lost: mpsc::UnboundedSender<Lost>,
    id: u64,
}

impl Service<Uri> for OneConnection {
    type Response = TokioIo<Watched>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if self.opened.swap(true, Ordering::SeqCst) {
            let reason = "the connection to the server dropped".to_owned();
            let _ = self.lost.send((self.id, reason.clone()));
            return Box::pin(async move {
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    reason,
                ))
            });
        }
        let lost = (self.lost.clone(), self.id);
        Box::pin(async move {
            let host = uri
                .host()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("https") => 443,
                _ => 80,
            });
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            // Nagle's algorithm off: requests are small and answered one by one.
            stream.set_nodelay(true)?;
            // Over TLS, tonic encrypts above this stream: its frames cannot
            // be read here.
            let frames = (uri.scheme_str() != Some("https")).then(Frames::default);
            Ok(TokioIo::new(Watched {
                stream,
                lost: Some(lost),
                frames,
            }))
        })
    }
}

/// A channel's connection, which reports its end: HTTP/2 reads it all the
/// time, so a server that closes it (or dies) is heard at once, as the
/// WebSocket driver hears its socket close, not at the next call.
///
/// It reports the server's HTTP/2 GOAWAY too. A server stopping gracefully
/// (SIGTERM) sends one, then waits for every connection to close before it
/// ends the live queries' subscriptions (with `End(ServerShutdown)`) and
/// exits; and neither h2, hyper nor tonic tells a client of a GOAWAY until
/// its next call. A connection whose subscriptions stay open would hold the
/// server until it is killed: so a GOAWAY is a lost connection, the
/// subscriptions end here, and the link reconnects and starts its live
/// queries again (calls in flight on it fail, their outcome unknown, as in
/// any drop). Over TLS the frames are encrypted at this level: a GOAWAY is
/// heard at the next call or heartbeat (which the old channel refuses).
pub(super) struct Watched {
    stream: TcpStream,
    /// Taken by the first report.
    lost: Option<(mpsc::UnboundedSender<Lost>, u64)>,
    /// The frames read so far, where they are readable (plain text).
    frames: Option<Frames>,
}

/// The HTTP/2 frame type of a GOAWAY (RFC 9113, 6.8).
const GOAWAY: u8 = 0x7;

/// Where the bytes a server sent stand among HTTP/2 frames: in a 9-byte
/// frame header, or in a payload, so that a GOAWAY is found. A server sends
/// no preface but its frames (RFC 9113, 3.4).
#[derive(Default)]
struct Frames {
    /// The header bytes read of the current frame (up to 9).
    header: [u8; 9],
    filled: usize,
    /// The payload bytes of the current frame still to skip.
    payload: usize,
}

impl Frames {
    /// Reads `bytes`; answers true when a GOAWAY frame's header was among
    /// them.
    fn read(&mut self, mut bytes: &[u8]) -> bool {
        let mut goaway = false;
        while !bytes.is_empty() {
            if self.payload > 0 {
                let skipped = self.payload.min(bytes.len());
                self.payload -= skipped;
                bytes = &bytes[skipped..];
                continue;
            }
            let taken = (self.header.len() - self.filled).min(bytes.len());
            self.header[self.filled..self.filled + taken].copy_from_slice(&bytes[..taken]);
            self.filled += taken;
            bytes = &bytes[taken..];
            if self.filled == self.header.len() {
                let [a, b, c, kind, ..] = self.header;
                self.payload = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
                goaway |= kind == GOAWAY;
                self.filled = 0;
            }
        }
        goaway
    }
}

impl Watched {
    fn report(&mut self, reason: String) {
        if let Some((lost, id)) = self.lost.take() {
            let _ = lost.send((id, reason));
        }
    }

    fn check<T>(&mut self, polled: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Err(error)) = &polled {
            self.report(error.to_string());
        }
        polled
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) {
            if buf.filled().len() == before && buf.remaining() > 0 {
                this.report("the server closed the connection".to_owned());
            } else if let Some(frames) = &mut this.frames {
                if frames.read(&buf.filled()[before..]) {
                    // Once is enough: the connection is done with.
                    this.frames = None;
                    this.report(
                        "the server is going away (it sent an HTTP/2 GOAWAY: it is stopping, \
                         or closing the connection)"
                            .to_owned(),
                    );
                }
            }
        }
        this.check(polled)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.check(polled)
    }

    /// The first buffer that is not empty, by `poll_write`: a vectored
    /// write is `writev(2)`, which raises SIGPIPE on a connection the server
    /// has reset, and that ends the application (a Rust program ignores
    /// SIGPIPE, a C++ one does not); `poll_write` is `send(2)` with
    /// MSG_NOSIGNAL, an EPIPE error instead, which is a lost connection.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let buf = bufs
            .iter()
            .find(|buf| !buf.is_empty())
            .map_or(&[][..], |buf| &buf[..]);
        self.poll_write(cx, buf)
    }

    /// No (see `poll_write_vectored`): hyper gathers its buffers itself.
    fn is_write_vectored(&self) -> bool {
        false
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        this.check(polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// How a call failed.
enum Failure {
    /// The connection was lost under it: its outcome is unknown.
    Lost(String),
    /// The server answered with an error (or the request was refused here).
    Error(surrealdb::Error),
}

impl From<surrealdb::Error> for Failure {
    fn from(error: surrealdb::Error) -> Self {
        Failure::Error(error)
    }
}

/// A transport error and its causes, in one line.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn status_text(status: &tonic::Status) -> String {
    match std::error::Error::source(status) {
        Some(source) => describe(source),
        None => status.message().to_owned(),
    }
}

/// A status from the transport (its source is the transport's error) is a
/// lost connection; one the server sent is an error of the call.
fn failed(status: tonic::Status) -> Failure {
    if std::error::Error::source(&status).is_some() {
        return Failure::Lost(status_text(&status));
    }
    Failure::Error(status_error(status))
}

/// A status the server sent, as the SDK's gRPC engine maps it.
fn status_error(status: tonic::Status) -> surrealdb::Error {
    use tonic::Code;
    let message = status.message().to_owned();
    match status.code() {
        Code::InvalidArgument | Code::OutOfRange => surrealdb::Error::validation(message, None),
        Code::Unimplemented => surrealdb::Error::configuration(message, None),
        Code::DeadlineExceeded | Code::Aborted => surrealdb::Error::query(message, None),
        Code::FailedPrecondition => {
            if status
                .metadata()
                .contains_key("surreal-rejected-before-execution")
            {
                surrealdb::Error::validation(message, None)
            } else {
                surrealdb::Error::query(message, None)
            }
        }
        Code::PermissionDenied | Code::Unauthenticated => {
            surrealdb::Error::not_allowed(message, None)
        }
        Code::NotFound => surrealdb::Error::not_found(message, None),
        Code::AlreadyExists => surrealdb::Error::already_exists(message, None),
        Code::Unavailable | Code::Cancelled | Code::Unknown => {
            surrealdb::Error::connection(message, None)
        }
        _ => surrealdb::Error::internal(message),
    }
}

/// An error the server sent in a frame: its kind, reason and causes kept.
fn wire_error(error: proto::SurrealError) -> surrealdb::Error {
    use proto::ErrorKind;
    let kind = match error.kind_or_internal() {
        ErrorKind::Validation => "Validation",
        ErrorKind::Configuration => "Configuration",
        ErrorKind::Query => "Query",
        ErrorKind::Serialization => "Serialization",
        ErrorKind::NotAllowed => "NotAllowed",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::AlreadyExists => "AlreadyExists",
        ErrorKind::Connection => "Connection",
        ErrorKind::Thrown => "Thrown",
        ErrorKind::Context => "Context",
        ErrorKind::Internal | ErrorKind::Unspecified => "Internal",
    };
    let cause = error.cause.map(|cause| wire_error(*cause));
    // A reason travels as its kind, and what nests below it; the error
    // taxonomy reads them back as one `{kind, details}` object.
    let details = error.details.and_then(|details| {
        if details.kind.is_empty() {
            return None;
        }
        let mut object = Object::new();
        object.insert("kind".to_owned(), Value::String(details.kind));
        if let Some(content) = details
            .content
            .and_then(|content| Value::try_from(content).ok())
        {
            object.insert("details".to_owned(), content);
        }
        Some(Value::Object(object))
    });
    let mapped = surrealdb::Error::from_wire(error.message, Some(kind), details);
    match cause {
        Some(cause) => mapped.with_cause(cause),
        None => mapped,
    }
}

/// How deep a value may nest to be carried: protobuf decoders (the
/// server's, prost's) refuse a message nested 100 deep, and a request takes
/// a few levels before its values.
const MAX_NESTING: usize = 96;

/// The protobuf messages a value nests: an array is a `Value` holding an
/// `Array`, an object a `Value` holding an `Object` of `KeyValue`s; a leaf
/// counts as two (some, a datetime say, are a message in their `Value`).
fn nesting(value: &Value) -> usize {
    match value {
        Value::Array(items) => 2 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(fields) => 3 + fields.values().map(nesting).max().unwrap_or(0),
        _ => 2,
    }
}

fn proto_value(value: Value) -> Result<proto::Value, Failure> {
    if nesting(&value) > MAX_NESTING {
        return Err(Failure::Error(surrealdb::Error::validation(
            "the value is nested deeper than SurrealDB's gRPC protocol carries (protobuf \
             messages nest at most 100 deep, about 32 arrays and objects here); use ws:// or \
             wss:// for it"
                .to_owned(),
            None,
        )));
    }
    proto::Value::try_from(value)
        .map_err(|error| Failure::Error(surrealdb::Error::serialization(error.to_string(), None)))
}

fn proto_variables(
    fields: impl IntoIterator<Item = (String, Value)>,
) -> Result<proto::Variables, Failure> {
    fields
        .into_iter()
        .map(|(name, value)| Ok((name, proto_value(value)?)))
        .collect::<Result<Vec<_>, Failure>>()
        .map(|pairs| pairs.into_iter().collect())
}

fn value_of(value: proto::Value) -> surrealdb::Result<Value> {
    Value::try_from(value).map_err(|error| {
        surrealdb::Error::serialization(format!("undecodable value from the server: {error}"), None)
    })
}

fn uuid_of(id: Option<proto::Uuid>, what: &str) -> Result<Uuid, Failure> {
    id.and_then(|id| id.to_uuid().ok()).ok_or_else(|| {
        Failure::Error(surrealdb::Error::internal(format!(
            "the server answered without {what}"
        )))
    })
}

fn bad_params(method: &str) -> Failure {
    Failure::Error(surrealdb::Error::validation(
        format!("{method}: unexpected parameters"),
        None,
    ))
}

/// A string credential field; absent is the protocol's empty string.
fn take_string(
    fields: &mut std::collections::BTreeMap<String, Value>,
    key: &str,
) -> Result<String, Failure> {
    match fields.remove(key) {
        None => Ok(String::new()),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(Failure::Error(surrealdb::Error::validation(
            format!("the '{key}' credential must be a string"),
            None,
        ))),
    }
}

/// Credentials as the protocol's access method: an access method (`ac`)
/// with a `key` is a bearer grant, without one record access (whatever else
/// is the variables of its SIGNIN); otherwise a system user.
fn access_method(credentials: Value) -> Result<rpc::AccessMethod, Failure> {
    let Value::Object(credentials) = credentials else {
        return Err(bad_params("signin"));
    };
    let mut fields = credentials.into_inner();
    let method = if fields.contains_key("ac") {
        let access = take_string(&mut fields, "ac")?;
        let namespace = take_string(&mut fields, "ns")?;
        let database = take_string(&mut fields, "db")?;
        if fields.contains_key("key") {
            rpc::access_method::Method::Bearer(rpc::BearerCredentials {
                namespace,
                database,
                access,
                key: take_string(&mut fields, "key")?,
            })
        } else {
            rpc::access_method::Method::Record(rpc::RecordCredentials {
                namespace,
                database,
                access,
                variables: Some(proto_variables(fields)?),
            })
        }
    } else {
        rpc::access_method::Method::User(rpc::UserCredentials {
            namespace: take_string(&mut fields, "ns")?,
            database: take_string(&mut fields, "db")?,
            username: take_string(&mut fields, "user")?,
            password: take_string(&mut fields, "pass")?,
            access: String::new(),
        })
    };
    Ok(rpc::AccessMethod {
        method: Some(method),
    })
}

fn record_credentials(credentials: Value) -> Result<rpc::RecordCredentials, Failure> {
    let Value::Object(credentials) = credentials else {
        return Err(bad_params("signup"));
    };
    let mut fields = credentials.into_inner();
    Ok(rpc::RecordCredentials {
        namespace: take_string(&mut fields, "ns")?,
        database: take_string(&mut fields, "db")?,
        access: take_string(&mut fields, "ac")?,
        variables: Some(proto_variables(fields)?),
    })
}

/// Tokens as the WebSocket protocol answers them: the access token alone, or
/// `{access, refresh}`.
fn tokens_value(tokens: Option<rpc::Tokens>) -> Result<Value, Failure> {
    let tokens = tokens.ok_or_else(|| {
        Failure::Error(surrealdb::Error::internal(
            "the server answered without tokens".to_owned(),
        ))
    })?;
    if tokens.refresh.is_empty() {
        return Ok(Value::String(tokens.access));
    }
    Ok(super::session::token_value(
        Value::String(tokens.access),
        Some(Value::String(tokens.refresh)),
    ))
}

fn nullable(name: &Value) -> Option<rpc::NullableString> {
    match name {
        Value::String(name) => Some(rpc::NullableString {
            value: Some(rpc::nullable_string::Value::Some(name.clone())),
        }),
        _ => None,
    }
}

/// One statement's frames, gathered into its result.
#[derive(Default)]
struct Statement {
    values: Vec<Value>,
    single: bool,
    time: Duration,
    kind: i32,
    error: Option<surrealdb::Error>,
}

impl Statement {
    fn add(&mut self, batch: rpc::QueryBatchFrame) {
        self.kind = batch.statement_kind;
        if batch.kind == rpc::QueryResponseKind::Single as i32 {
            self.single = true;
        }
        if let Some(duration) = batch.stats.and_then(|stats| stats.execution_duration) {
            self.time = Duration::try_from(duration).unwrap_or_default();
        }
        if let Some(error) = batch.error {
            self.error = Some(wire_error(error));
            return;
        }
        match batch.payload {
            Some(rpc::query_batch_frame::Payload::Values(values)) => {
                for value in values.values {
                    match value_of(value) {
                        Ok(value) => self.values.push(value),
                        Err(error) => {
                            self.error = Some(error);
                            return;
                        }
                    }
                }
            }
            Some(rpc::query_batch_frame::Payload::Arrow(_)) => {
                self.error = Some(surrealdb::Error::internal(
                    "the server answered with columnar results, which were not asked for"
                        .to_owned(),
                ));
            }
            None => {}
        }
    }

    fn result(self) -> QueryResult {
        let query_type = match rpc::QueryStatementKind::try_from(self.kind) {
            Ok(rpc::QueryStatementKind::Live) => QueryType::Live,
            Ok(rpc::QueryStatementKind::Kill) => QueryType::Kill,
            _ => QueryType::Other,
        };
        let result = match self.error {
            Some(error) => Err(error),
            None if self.single => Ok(self.values.into_iter().next().unwrap_or(Value::None)),
            None => Ok(Value::Array(self.values.into())),
        };
        QueryResult {
            time: self.time,
            result,
            query_type,
        }
    }
}

/// Runs a query, gathering its streamed frames into one result per
/// statement that ran, as the WebSocket protocol answers.
async fn query(
    client: &mut Client,
    context: rpc::RequestContext,
    params: Vec<Value>,
) -> Result<Vec<QueryResult>, Failure> {
    let mut params = params.into_iter();
    let Some(Value::String(sql)) = params.next() else {
        return Err(bad_params("query"));
    };
    let variables = match params.next() {
        Some(Value::Object(bindings)) => proto_variables(bindings.into_inner())?,
        _ => proto_variables(std::iter::empty())?,
    };
    let request = rpc::QueryRequest {
        context: Some(context),
        query: sql,
        variables: Some(variables),
        accepted_encodings: Vec::new(),
        max_batch_records: 0,
    };
    let mut stream = client.query(request).await.map_err(failed)?.into_inner();
    // By statement index: only those with frames (a server's count or
    // index sizes nothing).
    let mut statements: std::collections::BTreeMap<u64, Statement> = Default::default();
    let end = loop {
        let Some(response) = stream.message().await.map_err(failed)? else {
            return Err(Failure::Lost(
                "the query's answer ended before it was complete".to_owned(),
            ));
        };
        match response.frame {
            Some(rpc::query_response::Frame::Begin(_)) => statements.clear(),
            Some(rpc::query_response::Frame::Batch(batch)) => {
                statements
                    .entry(batch.query_index.into())
                    .or_default()
                    .add(batch);
            }
            Some(rpc::query_response::Frame::End(end)) => break end,
            Some(rpc::query_response::Frame::Error(error)) => {
                return Err(Failure::Error(wire_error(error)))
            }
            None => {}
        }
    };
    // The stream is read to its end, the server's trailers: one dropped
    // before them is reset (RST_STREAM) by the client's h2, and a trailer
    // that comes after the reset is a stream error that h2 counts against
    // the connection; after 1,024 of them it goes away ("too_many_internal_
    // resets", h2's streams.rs), which four threads of calls reached within
    // seconds. The trailers' status is the call's: a failure there fails it.
    while stream.message().await.map_err(failed)?.is_some() {}
    // A statement that never ran (after a RETURN, say) has no frame, and no
    // result, as over WebSocket.
    let results: Vec<QueryResult> = statements.into_values().map(Statement::result).collect();
    if results.len() != end.result_count as usize {
        return Err(Failure::Lost(format!(
            "the query's answer announced {} results, and {} arrived",
            end.result_count,
            results.len()
        )));
    }
    Ok(results)
}

fn context(session: Uuid, txn: Option<Uuid>) -> rpc::RequestContext {
    rpc::RequestContext {
        session: Some(proto::Uuid::from_uuid(session)),
        transaction: txn.map(proto::Uuid::from_uuid),
        timeout: None,
    }
}

/// The server's id of a session on this connection.
fn server_session(conn: &Conn, session: Uuid) -> Result<Uuid, Failure> {
    conn.sessions().get(&session).copied().ok_or_else(|| {
        Failure::Error(surrealdb::Error::internal(
            "the session is not attached to this connection".to_owned(),
        ))
    })
}

/// Runs one request on a connection, by the typed call that carries it.
async fn dispatch(
    shared: &Arc<Shared>,
    wire: &Arc<Wire>,
    conn: &Arc<Conn>,
    method: &str,
    params: Vec<Value>,
    session: Uuid,
    txn: Option<Uuid>,
    live: Option<LiveStart>,
) -> Result<DbResult, Failure> {
    let mut client = conn.client.clone();
    let none = Ok(DbResult::Other(Value::None));
    match method {
        "attach" => {
            let answer = client
                .attach_session(rpc::AttachSessionRequest { context: None })
                .await
                .map_err(failed)?
                .into_inner();
            let server = uuid_of(answer.session, "a session id")?;
            conn.sessions().insert(session, server);
            return none;
        }
        "detach" => {
            let Some(server) = conn.sessions().remove(&session) else {
                return none;
            };
            client
                .detach_session(rpc::DetachSessionRequest {
                    context: Some(context(server, None)),
                })
                .await
                .map_err(failed)?;
            return none;
        }
        "ping" => {
            client
                .health(rpc::HealthRequest { context: None })
                .await
                .map_err(failed)?;
            return none;
        }
        "version" => return Ok(DbResult::Other(Value::String(conn.version.clone()))),
        _ => {}
    }
    let server = server_session(conn, session)?;
    let mut params = params;
    let mut param = |index: usize| {
        params
            .get_mut(index)
            .map(std::mem::take)
            .unwrap_or(Value::None)
    };
    let other = |value: Value| Ok(DbResult::Other(value));
    match method {
        "use" => {
            let (namespace, database) = (param(0), param(1));
            client
                .r#use(rpc::UseRequest {
                    context: Some(context(server, None)),
                    namespace: nullable(&namespace),
                    database: nullable(&database),
                })
                .await
                .map_err(failed)?;
            none
        }
        "let" => {
            let Value::String(name) = param(0) else {
                return Err(bad_params(method));
            };
            let value = proto_value(param(1))?;
            client
                .set_variable(rpc::SetVariableRequest {
                    context: Some(context(server, None)),
                    name,
                    value: Some(value),
                })
                .await
                .map_err(failed)?;
            none
        }
        "unset" => {
            let Value::String(name) = param(0) else {
                return Err(bad_params(method));
            };
            client
                .unset_variable(rpc::UnsetVariableRequest {
                    context: Some(context(server, None)),
                    name,
                })
                .await
                .map_err(failed)?;
            none
        }
        "signin" => {
            let access_method = access_method(param(0))?;
            let answer = client
                .signin(rpc::SigninRequest {
                    context: Some(context(server, None)),
                    access_method: Some(access_method),
                })
                .await
                .map_err(failed)?
                .into_inner();
            other(tokens_value(answer.tokens)?)
        }
        "signup" => {
            let credentials = record_credentials(param(0))?;
            let answer = client
                .signup(rpc::SignupRequest {
                    context: Some(context(server, None)),
                    credentials: Some(credentials),
                })
                .await
                .map_err(failed)?
                .into_inner();
            other(tokens_value(answer.tokens)?)
        }
        "authenticate" => {
            let Value::String(token) = param(0) else {
                return Err(bad_params(method));
            };
            client
                .authenticate(rpc::AuthenticateRequest {
                    context: Some(context(server, None)),
                    token,
                })
                .await
                .map_err(failed)?;
            none
        }
        "refresh" => {
            let Value::Object(mut tokens) = param(0) else {
                return Err(bad_params(method));
            };
            let (Some(Value::String(access)), Some(Value::String(refresh))) =
                (tokens.remove("access"), tokens.remove("refresh"))
            else {
                return Err(bad_params(method));
            };
            let answer = client
                .refresh_tokens(rpc::RefreshTokensRequest {
                    context: Some(context(server, None)),
                    access,
                    refresh,
                })
                .await
                .map_err(failed)?
                .into_inner();
            other(tokens_value(answer.tokens)?)
        }
        "invalidate" => {
            client
                .invalidate(rpc::InvalidateRequest {
                    context: Some(context(server, None)),
                })
                .await
                .map_err(failed)?;
            none
        }
        "begin" => {
            let answer = client
                .begin_transaction(rpc::BeginTransactionRequest {
                    context: Some(context(server, None)),
                })
                .await
                .map_err(failed)?
                .into_inner();
            let id = uuid_of(answer.transaction, "a transaction id")?;
            other(Value::Uuid(id.into()))
        }
        "commit" | "cancel" => {
            let Value::Uuid(id) = param(0) else {
                return Err(bad_params(method));
            };
            let context = Some(context(server, Some(id.into_inner())));
            if method == "commit" {
                client
                    .commit_transaction(rpc::CommitTransactionRequest { context })
                    .await
                    .map_err(failed)?;
            } else {
                client
                    .cancel_transaction(rpc::CancelTransactionRequest { context })
                    .await
                    .map_err(failed)?;
            }
            none
        }
        "kill" => {
            let Value::Uuid(id) = param(0) else {
                return Err(bad_params(method));
            };
            client
                .kill(rpc::KillRequest {
                    context: Some(context(server, None)),
                    live_query_id: Some(proto::Uuid::from_uuid(id.into_inner())),
                })
                .await
                .map_err(failed)?;
            none
        }
        "query" => {
            let results = query(&mut client, context(server, txn), params).await?;
            if let Some(start) = live {
                if let Some(id) = started_live(&results) {
                    let subscription = match subscription(shared, wire, conn, server, id).await {
                        Ok(subscription) => subscription,
                        Err(failure) => {
                            // Started, and nobody can hear it: it goes.
                            let _ = client
                                .kill(rpc::KillRequest {
                                    context: Some(context(server, None)),
                                    live_query_id: Some(proto::Uuid::from_uuid(id)),
                                })
                                .await;
                            return Err(failure);
                        }
                    };
                    // Subscribed before the pump reads its first frame.
                    register_live(shared, start, &results);
                    pump(shared, wire, conn, subscription, server, id);
                }
            }
            Ok(DbResult::Query(results))
        }
        _ => Err(Failure::Error(surrealdb::Error::configuration(
            format!("'{method}' is not carried by SurrealDB's gRPC protocol (grpc://, grpcs://)"),
            None,
        ))),
    }
}

/// Subscribes to the notifications of live query `id` of session `server`,
/// within the heartbeat's timeout (1 s at least): a server that does not
/// answer in time is taken for a lost connection, as a heartbeat that does
/// not answer is.
async fn subscribe(
    shared: &Shared,
    client: &mut Client,
    server: Uuid,
    id: Uuid,
) -> Result<tonic::Streaming<rpc::SubscribeResponse>, Failure> {
    let request = rpc::SubscribeRequest {
        context: Some(context(server, None)),
        resume_from: None,
        subscribe_to: Some(rpc::subscribe_request::SubscribeTo::LiveQueryId(
            proto::Uuid::from_uuid(id),
        )),
    };
    let limit = shared.heartbeat.answer_limit();
    match timeout(limit, client.subscribe(request)).await {
        Ok(subscribed) => Ok(subscribed.map_err(failed)?.into_inner()),
        Err(_) => Err(Failure::Lost(format!(
            "the server did not answer a live query's subscription within {} ms",
            limit.as_millis()
        ))),
    }
}

/// A live query's subscription: its stream of frames, the channel it runs
/// on (to subscribe again), and its place there.
struct Subscription {
    stream: tonic::Streaming<rpc::SubscribeResponse>,
    client: Client,
    /// Held while the subscription lives.
    _slot: Slot,
}

/// Subscribes to live query `id` of session `server`, on one of the
/// connection's channels of subscriptions.
async fn subscription(
    shared: &Shared,
    wire: &Wire,
    conn: &Conn,
    server: Uuid,
    id: Uuid,
) -> Result<Subscription, Failure> {
    let (mut client, slot) = conn.subscriber(shared, wire).await?;
    let stream = subscribe(shared, &mut client, server, id).await?;
    Ok(Subscription {
        stream,
        client,
        _slot: slot,
    })
}

/// A notification as the WebSocket protocol carries it.
fn notification(notification: rpc::Notification, id: Uuid) -> surrealdb::Result<Notification> {
    let action = match notification.action() {
        rpc::Action::Created => Action::Create,
        rpc::Action::Updated => Action::Update,
        rpc::Action::Deleted => Action::Delete,
        rpc::Action::Unspecified => {
            return Err(surrealdb::Error::internal(
                "a notification with an unknown action".to_owned(),
            ))
        }
    };
    let record = match notification.record_id {
        Some(record) => Value::RecordId(record.try_into().map_err(|error: anyhow::Error| {
            surrealdb::Error::serialization(format!("undecodable record id: {error}"), None)
        })?),
        None => Value::None,
    };
    let result = match notification.value {
        Some(value) => value_of(value)?,
        None => Value::None,
    };
    Ok(Notification::new(id.into(), None, action, record, result))
}

/// Ends the live query known on the server as `server_id`, telling its
/// subscribers why.
fn end_server_live(shared: &Shared, server_id: Uuid, message: String) {
    let key = shared.lives().routes.get(&server_id).copied();
    if let Some(key) = key {
        end_live(shared, key, message);
    }
}

/// What the end of a live query's subscription (its `End` frame's reason)
/// means for the live query.
#[derive(Debug, PartialEq)]
enum Ending {
    /// Killed (by a KILL, or by the server): it is gone, and its subscribers
    /// hear KILLED.
    Killed,
    /// Its session signed out, or was detached: the session ends its live
    /// queries itself (database.rs), as over WebSocket, where the server
    /// says nothing. It is not started again.
    SessionClosed,
    /// The server is shutting down ("re-subscribing later is reasonable"):
    /// the connection is lost, and the live query is kept, to start again
    /// on the next one, as over WebSocket when the server goes.
    Lost(String),
    /// It moved to another node of the cluster, its id still valid: it is
    /// subscribed to again.
    Resubscribe,
    /// Any other reason (a cursor too old, which this client never sends; a
    /// reason this client does not know): it ends with an error naming it.
    Failed(String),
}

/// The meaning of an `End` frame's `reason` (surrealdb-protocol's
/// `SubscribeEndReason`).
fn ending(reason: i32) -> Ending {
    use rpc::SubscribeEndReason as Reason;
    match Reason::try_from(reason) {
        Ok(Reason::Killed) => Ending::Killed,
        Ok(Reason::SessionClosed) => Ending::SessionClosed,
        Ok(Reason::ServerShutdown) => {
            Ending::Lost("the server is shutting down (it ended the live queries)".to_owned())
        }
        Ok(Reason::NodeReassigned) => Ending::Resubscribe,
        Ok(other) => Ending::Failed(format!(
            "the live query's subscription ended: the server gave the reason {}",
            other.as_str_name()
        )),
        Err(_) => Ending::Failed(format!(
            "the live query's subscription ended: the server gave a reason this client does \
             not know ({reason})"
        )),
    }
}

/// Hands a subscription's notifications to the live query's subscribers,
/// until it ends, or its connection is lost. `server` is the server's id of
/// the live query's session, `id` the live query's.
fn pump(
    shared: &Arc<Shared>,
    wire: &Arc<Wire>,
    conn: &Arc<Conn>,
    subscription: Subscription,
    server: Uuid,
    id: Uuid,
) {
    let (shared, wire, conn) = (Arc::clone(shared), Arc::clone(wire), Arc::clone(conn));
    tokio::spawn(async move {
        // The whole of it, its place on its channel included: the block
        // would capture only the fields it reads, and the place would be
        // given back at once.
        let mut subscription = subscription;
        // Whether the stream has ended without a reason since its last frame.
        let mut unexplained = false;
        loop {
            let message = tokio::select! {
                _ = conn.gone.cancelled() => return,
                _ = shared.closed.cancelled() => return,
                message = subscription.stream.message() => message,
            };
            let frame = match message {
                Ok(Some(response)) => {
                    unexplained = false;
                    response.frame
                }
                // The server closed the stream without its last frame: it
                // sends the End of a KILL, a detach or its shutdown only if
                // the subscriber's queue has room. Subscribing again tells
                // which (the live query is gone, or the connection is), and
                // goes on if it was neither. Twice in a row, it ends.
                Ok(None) if unexplained => {
                    end_server_live(
                        &shared,
                        id,
                        "the server ended the live query's subscription twice without a reason"
                            .to_owned(),
                    );
                    return;
                }
                Ok(None) => {
                    unexplained = true;
                    let refused = "the server ended the live query's subscription without a \
                                   reason, and it could not be subscribed to again";
                    if resubscribe(
                        &shared,
                        &wire,
                        &conn,
                        &mut subscription,
                        server,
                        id,
                        refused,
                    )
                    .await
                    {
                        continue;
                    }
                    return;
                }
                Err(status) => match failed(status) {
                    Failure::Lost(reason) => {
                        wire.report(&conn, reason);
                        return;
                    }
                    Failure::Error(error) => {
                        end_server_live(
                            &shared,
                            id,
                            format!("the live query's subscription ended: {}", error.message()),
                        );
                        return;
                    }
                },
            };
            match frame {
                Some(rpc::subscribe_response::Frame::Notification(note)) => {
                    match notification(note, id) {
                        Ok(note) => notify(&shared, note),
                        Err(error) => {
                            end_server_live(&shared, id, error.message().to_owned());
                            return;
                        }
                    }
                }
                Some(rpc::subscribe_response::Frame::End(end)) => match ending(end.reason) {
                    Ending::Killed => {
                        notify(
                            &shared,
                            Notification::new(
                                id.into(),
                                None,
                                Action::Killed,
                                Value::None,
                                Value::None,
                            ),
                        );
                        return;
                    }
                    Ending::SessionClosed => {
                        let mut lives = shared.lives();
                        if let Some(key) = lives.routes.remove(&id) {
                            lives.records.remove(&key);
                        }
                        return;
                    }
                    Ending::Lost(reason) => {
                        wire.report(&conn, reason);
                        return;
                    }
                    Ending::Resubscribe => {
                        let refused = "the live query moved to another node of the server, and \
                                       could not be subscribed to again there";
                        if !resubscribe(
                            &shared,
                            &wire,
                            &conn,
                            &mut subscription,
                            server,
                            id,
                            refused,
                        )
                        .await
                        {
                            return;
                        }
                    }
                    Ending::Failed(message) => {
                        end_server_live(&shared, id, message);
                        return;
                    }
                },
                Some(rpc::subscribe_response::Frame::Error(error)) => {
                    end_server_live(&shared, id, wire_error(error).message().to_owned());
                    return;
                }
                Some(rpc::subscribe_response::Frame::Begin(_)) | None => {}
            }
        }
    });
}

/// Subscribes to live query `id` of session `server` again, on the
/// subscription's own channel and in its place there. False: its pump ends,
/// because the connection or the link ended meanwhile, or the connection was
/// lost (reported here), or the server refused (the live query ends with
/// `refused` and the server's reason).
async fn resubscribe(
    shared: &Shared,
    wire: &Wire,
    conn: &Conn,
    subscription: &mut Subscription,
    server: Uuid,
    id: Uuid,
    refused: &str,
) -> bool {
    let again = tokio::select! {
        _ = conn.gone.cancelled() => return false,
        _ = shared.closed.cancelled() => return false,
        again = subscribe(shared, &mut subscription.client, server, id) => again,
    };
    match again {
        Ok(stream) => {
            subscription.stream = stream;
            true
        }
        Err(Failure::Lost(reason)) => {
            wire.report(conn, reason);
            false
        }
        Err(Failure::Error(error)) => {
            end_server_live(shared, id, format!("{refused}: {}", error.message()));
            false
        }
    }
}

/// The error of a call whose connection was lost under it.
fn in_flight(url: &str, reason: &str) -> surrealdb::Error {
    connection_error(format!(
        "the connection to {url} was lost ({reason}) while the call was in flight: \
         its outcome is unknown, and a write may or may not have been applied"
    ))
}

/// Sends one request over the link's current connection (waiting for one
/// while it reconnects), and waits for its answer.
pub(super) async fn send(
    link: &Link,
    wire: &Arc<Wire>,
    method: &str,
    params: Vec<Value>,
    session: Uuid,
    txn: Option<(Uuid, u64)>,
    live: Option<LiveStart>,
) -> surrealdb::Result<DbResult> {
    let shared = &link.shared;
    let conn = match wire.current() {
        Some(conn) if !conn.gone.is_cancelled() => conn,
        _ => {
            link.connected().await?;
            wire.current().ok_or_else(|| {
                connection_error(format!("the connection to {} is closed", shared.url))
            })?
        }
    };
    if txn.is_some_and(|(_, began)| began != conn.generation) {
        return Err(super::driver::transaction_lost(&shared.url));
    }
    let call = dispatch(
        shared,
        wire,
        &conn,
        method,
        params,
        session,
        txn.map(|(id, _)| id),
        live,
    );
    tokio::select! {
        biased;
        _ = shared.closed.cancelled() => Err(connection_error(format!(
            "the connection to {} was closed",
            shared.url
        ))),
        _ = conn.gone.cancelled() => Err(in_flight(&shared.url, &conn.reason())),
        outcome = call => match outcome {
            Ok(answer) => Ok(answer),
            Err(Failure::Error(error)) => Err(error),
            Err(Failure::Lost(reason)) => {
                wire.report(&conn, reason.clone());
                Err(in_flight(&shared.url, &reason))
            }
        },
    }
}

/// Runs the link until it is closed, or its connection is lost for good.
pub(super) async fn run(
    shared: Arc<Shared>,
    wire: Arc<Wire>,
    mut drops: mpsc::UnboundedReceiver<Lost>,
) {
    let final_reason = loop {
        let Some(conn) = wire.current() else {
            break None;
        };
        let reason = tokio::select! {
            _ = shared.closed.cancelled() => break None,
            reason = watch(&shared, &conn, &mut drops) => reason,
        };
        conn.lose(&reason);
        if !shared.policy.enabled {
            break Some(format!("{reason}; reconnecting is off"));
        }
        shared.set_state(State::Reconnecting, Some(reason.clone()));
        match reconnect(&shared, &wire, &reason, conn.generation + 1).await {
            Ok(new) => {
                let old: Vec<Uuid> = conn.sessions().values().copied().collect();
                wire.install(Arc::clone(&new));
                shared.set_state(State::Connected, None);
                // A server that did not restart still has the old sessions
                // (gRPC sessions are the server's, not a connection's), with
                // their transactions and live queries: they go.
                let client = new.client.clone();
                tokio::spawn(async move {
                    for server in old {
                        let _ = client
                            .clone()
                            .detach_session(rpc::DetachSessionRequest {
                                context: Some(context(server, None)),
                            })
                            .await;
                    }
                });
            }
            Err(reason) => break reason,
        }
    };
    if let Some(conn) = wire.current() {
        conn.lose(final_reason.as_deref().unwrap_or("the link was closed"));
    }
    shared.set_state(State::Disconnected, final_reason);
    shared.hub.end_all();
}

/// Waits until the connection is lost: a drop reported for it, or a
/// heartbeat not answered in time. Answers why.
async fn watch(shared: &Shared, conn: &Conn, drops: &mut mpsc::UnboundedReceiver<Lost>) -> String {
    let heartbeat = shared.heartbeat.clone();
    let mut ticks =
        tokio::time::interval_at(Instant::now() + heartbeat.interval, heartbeat.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            dropped = drops.recv() => match dropped {
                Some((id, reason)) if id == conn.id => return reason,
                Some(_) => {}
                None => return "the link was closed".to_owned(),
            },
            _ = ticks.tick() => {
                let mut client = conn.client.clone();
                let beat = client.health(rpc::HealthRequest { context: None });
                match timeout(heartbeat.timeout, beat).await {
                    Err(_) => return format!(
                        "the server did not answer a heartbeat within {} ms",
                        heartbeat.timeout.as_millis()
                    ),
                    Ok(Err(status)) => {
                        if let Failure::Lost(reason) = failed(status) {
                            return reason;
                        }
                    }
                    Ok(Ok(_)) => {}
                }
            }
        }
    }
}

/// Opens a new connection, as the policy says, and restores the sessions and
/// live queries on it. Err(None) when the link was closed meanwhile;
/// Err(Some(reason)) when the attempts are spent.
async fn reconnect(
    shared: &Arc<Shared>,
    wire: &Arc<Wire>,
    lost: &str,
    generation: u64,
) -> Result<Arc<Conn>, Option<String>> {
    let policy = &shared.policy;
    let mut attempt = 0u32;
    let mut last = lost.to_owned();
    loop {
        if policy.attempts.is_some_and(|attempts| attempt >= attempts) {
            return Err(Some(format!(
                "{lost}; {attempt} reconnect attempt{} failed (the last: {last})",
                if attempt == 1 { "" } else { "s" }
            )));
        }
        let wait = policy.delay(attempt);
        attempt += 1;
        tokio::select! {
            _ = shared.closed.cancelled() => return Err(None),
            _ = tokio::time::sleep(wait) => {}
        }
        let opened = tokio::select! {
            _ = shared.closed.cancelled() => return Err(None),
            opened = wire.open(generation, shared.heartbeat.timeout) => opened,
        };
        match opened {
            Ok(conn) => {
                let restored = tokio::select! {
                    _ = shared.closed.cancelled() => return Err(None),
                    restored = restore(shared, wire, &conn) => restored,
                };
                match restored {
                    Ok(()) => return Ok(conn),
                    Err(reason) => {
                        conn.lose(&reason);
                        last = reason;
                    }
                }
            }
            Err(reason) => last = reason,
        }
    }
}

/// One request on a connection being restored, within the heartbeat's
/// timeout (1 s at least).
async fn exchange(
    shared: &Arc<Shared>,
    wire: &Arc<Wire>,
    conn: &Arc<Conn>,
    method: &str,
    params: Vec<Value>,
    session: Uuid,
) -> Result<surrealdb::Result<DbResult>, String> {
    let limit = shared.heartbeat.answer_limit();
    let call = dispatch(shared, wire, conn, method, params, session, None, None);
    match timeout(limit, call).await {
        Err(_) => Err(format!(
            "the server did not answer '{method}' within {} ms while the connection was restored",
            limit.as_millis()
        )),
        Ok(Err(Failure::Lost(reason))) => Err(reason),
        Ok(Err(Failure::Error(error))) => Ok(Err(error)),
        Ok(Ok(answer)) => Ok(Ok(answer)),
    }
}

/// Restores every session on a new connection (the same steps as over
/// WebSocket), then starts every live query again and subscribes to it.
/// Err: the connection failed meanwhile.
async fn restore(shared: &Arc<Shared>, wire: &Arc<Wire>, conn: &Arc<Conn>) -> Result<(), String> {
    let sessions: Vec<_> = shared.sessions().values().cloned().collect();
    let mut unattached = HashMap::new();
    for record in sessions {
        let mut replay = record.replay();
        while let Some((method, params)) = replay.next_step() {
            let outcome = exchange(shared, wire, conn, method, params, record.id).await?;
            replay.answer(outcome);
        }
        // One the server refused to attach is set up again at its next
        // call; its live queries end.
        if let Err(error) = record.restored(replay, conn.generation) {
            unattached.insert(record.id, error);
        }
    }
    for live in restart::restarts(shared, &unattached) {
        let outcome = exchange(shared, wire, conn, "query", live.params, live.session).await?;
        let server_id = match restart::restarted(outcome) {
            Ok(server_id) => server_id,
            Err(message) => {
                end_live(shared, live.key, message);
                continue;
            }
        };
        let server = conn.sessions().get(&live.session).copied();
        let why = match server {
            Some(server) => match subscription(shared, wire, conn, server, server_id).await {
                Ok(subscription) => {
                    restart::reroute(shared, live.key, server_id);
                    pump(shared, wire, conn, subscription, server, server_id);
                    continue;
                }
                Err(Failure::Lost(reason)) => return Err(reason),
                Err(Failure::Error(error)) => error.message().to_owned(),
            },
            None => "its session is not attached".to_owned(),
        };
        let message =
            format!("the live query could not be subscribed to again after a reconnect: {why}");
        end_live(shared, live.key, message);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(pairs: &[(&str, &str)]) -> Value {
        let mut object = Object::new();
        for (key, value) in pairs {
            object.insert((*key).to_owned(), Value::String((*value).to_owned()));
        }
        Value::Object(object)
    }

    #[test]
    fn credentials_become_the_access_method_they_name() {
        let root = access_method(object(&[("user", "root"), ("pass", "secret")])).ok();
        let Some(rpc::AccessMethod {
            method: Some(rpc::access_method::Method::User(user)),
        }) = root
        else {
            panic!("root credentials are a system user");
        };
        assert_eq!(
            (user.username.as_str(), user.namespace.as_str()),
            ("root", "")
        );
        let record = access_method(object(&[
            ("ns", "n"),
            ("db", "d"),
            ("ac", "account"),
            ("user", "ann"),
        ]))
        .ok();
        let Some(rpc::AccessMethod {
            method: Some(rpc::access_method::Method::Record(record)),
        }) = record
        else {
            panic!("an access method without a key is record access");
        };
        assert_eq!(record.access, "account");
        // `user` is one of its SIGNIN's variables, not a system user's name.
        assert!(record
            .variables
            .is_some_and(|variables| variables.variables.iter().any(|pair| pair.key == "user")));
    }

    #[test]
    fn tokens_are_answered_as_over_websocket() {
        let access = |refresh: &str| rpc::Tokens {
            access: "a".to_owned(),
            refresh: refresh.to_owned(),
            ..Default::default()
        };
        assert!(matches!(tokens_value(Some(access(""))), Ok(Value::String(a)) if a == "a"));
        let Ok(Value::Object(both)) = tokens_value(Some(access("r"))) else {
            panic!("access and refresh tokens are an object");
        };
        assert_eq!(both.get("refresh"), Some(&Value::String("r".to_owned())));
    }

    #[test]
    fn only_a_kill_kills_a_live_query_and_a_server_shutting_down_is_a_lost_connection() {
        use rpc::SubscribeEndReason as Reason;
        assert_eq!(ending(Reason::Killed as i32), Ending::Killed);
        assert_eq!(ending(Reason::SessionClosed as i32), Ending::SessionClosed);
        assert!(matches!(
            ending(Reason::ServerShutdown as i32),
            Ending::Lost(_)
        ));
        assert_eq!(ending(Reason::NodeReassigned as i32), Ending::Resubscribe);
        let Ending::Failed(message) = ending(Reason::CursorTooOld as i32) else {
            panic!("a cursor too old ends the live query with an error");
        };
        assert!(message.contains("CURSOR_TOO_OLD"), "{message}");
        assert!(matches!(
            ending(Reason::Unspecified as i32),
            Ending::Failed(_)
        ));
        let Ending::Failed(message) = ending(99) else {
            panic!("an unknown reason ends the live query with an error");
        };
        assert!(message.contains("99"), "{message}");
    }

    /// An HTTP/2 frame: its 9-byte header, and a payload of `length` bytes.
    fn frame(kind: u8, length: usize) -> Vec<u8> {
        let mut bytes = vec![
            (length >> 16) as u8,
            (length >> 8) as u8,
            length as u8,
            kind,
            0,
        ];
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        // A payload that holds GOAWAY's type byte where a header would.
        bytes.extend(std::iter::repeat_n(GOAWAY, length));
        bytes
    }

    #[test]
    fn a_goaway_is_found_among_the_frames_however_they_are_read() {
        const DATA: u8 = 0x0;
        const SETTINGS: u8 = 0x4;
        let mut before = frame(SETTINGS, 18);
        before.extend(frame(DATA, 70_000));
        before.extend(frame(DATA, 0));
        let goaway = frame(GOAWAY, 8);
        // Whole, and a byte at a time: only the GOAWAY's header is one.
        let mut frames = Frames::default();
        assert!(!frames.read(&before));
        assert!(frames.read(&goaway));
        let mut frames = Frames::default();
        assert!(!before
            .iter()
            .any(|byte| frames.read(std::slice::from_ref(byte))));
        let found: Vec<bool> = goaway
            .iter()
            .map(|byte| frames.read(std::slice::from_ref(byte)))
            .collect();
        assert_eq!(found.iter().filter(|&&found| found).count(), 1);
        assert!(found[8], "found at the header's last byte");
    }

    #[test]
    fn a_status_from_the_transport_is_a_lost_connection_and_the_servers_is_not() {
        let mut transport = tonic::Status::unavailable("connection reset");
        transport.set_source(Arc::new(std::io::Error::other("connection reset")));
        assert!(matches!(failed(transport), Failure::Lost(_)));
        let sent = tonic::Status::permission_denied("no");
        assert!(matches!(failed(sent), Failure::Error(error) if error.is_not_allowed()));
    }
}

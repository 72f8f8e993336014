//! The sessions of a link: what each has set (namespace, database,
//! authentication, variables), kept so that a new connection can be made to
//! look like the old one, and the calls that run on one.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use surrealdb::types::Value;
use surrealdb_rpc::{DbResult, QueryResult, QueryType};
use uuid::Uuid;

use super::{not_results, Answer, Forgotten, Link, LiveStart, PendingSink};
use crate::response::Output;

/// How a session is authenticated, as it can be done again.
#[derive(Clone, Default)]
enum Auth {
    #[default]
    None,
    /// Signed in (or up) with these credentials: signing in again with them
    /// gives a fresh token.
    Credentials(Value),
    /// Authenticated with a token; with a refresh token, an expired access
    /// token is renewed through it.
    Token {
        access: Value,
        refresh: Option<Value>,
    },
}

#[derive(Clone, Default)]
struct SessionState {
    namespace: Option<String>,
    database: Option<String>,
    auth: Auth,
    variables: BTreeMap<String, Value>,
    /// Why the session's authentication could not be restored after a
    /// reconnect: its calls fail with it until it signs in again.
    lost: Option<surrealdb::Error>,
    /// The connection it was last set up on (0: none yet).
    attached: u64,
}

/// A session's record in its link.
pub(super) struct SessionRecord {
    pub id: Uuid,
    state: Mutex<SessionState>,
    /// Held while the session is attached to a new connection, so that two
    /// calls do not both do it.
    attaching: tokio::sync::Mutex<()>,
}

impl SessionRecord {
    fn state(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lost(&self) -> Option<surrealdb::Error> {
        self.state().lost.clone()
    }

    /// The requests that make a new connection's session this one.
    pub fn replay(&self) -> Replay {
        let state = self.state().clone();
        let mut steps = VecDeque::new();
        steps.push_back(Step::Attach);
        // Signed in first: a server defines a namespace or database that
        // `use` names only for a session allowed to (a restarted server's
        // fresh store has neither).
        if !matches!(state.auth, Auth::None) {
            steps.push_back(Step::Auth);
        }
        if state.namespace.is_some() || state.database.is_some() {
            steps.push_back(Step::Use);
        }
        for name in state.variables.keys() {
            steps.push_back(Step::Let(name.clone()));
        }
        Replay {
            state,
            steps,
            current: None,
            lost: None,
            unattached: None,
        }
    }

    /// Keeps what a replay on connection `generation` learnt: a renewed
    /// token, or that the authentication is lost. Nothing, if a newer
    /// connection has set the session up meanwhile. Err: the server refused
    /// to attach the session, which stays unattached, to be set up again at
    /// its next call.
    pub fn restored(&self, replay: Replay, generation: u64) -> surrealdb::Result<()> {
        let mut state = self.state();
        if state.attached > generation {
            return Ok(());
        }
        if let Some(error) = replay.unattached {
            return Err(error);
        }
        if matches!(state.auth, Auth::Token { .. }) {
            state.auth = replay.state.auth;
        }
        state.lost = replay.lost;
        state.attached = generation;
        Ok(())
    }
}

#[derive(Clone)]
enum Step {
    Attach,
    Use,
    Auth,
    Refresh,
    Let(String),
}

/// Replaying one session, a request at a time.
pub(super) struct Replay {
    state: SessionState,
    steps: VecDeque<Step>,
    current: Option<Step>,
    lost: Option<surrealdb::Error>,
    /// Why the server refused to attach it, if it did: nothing else is sent.
    unattached: Option<surrealdb::Error>,
}

impl Replay {
    /// The next request: its method and parameters.
    pub fn next_step(&mut self) -> Option<(&'static str, Vec<Value>)> {
        let step = self.steps.pop_front()?;
        let request = match &step {
            Step::Attach => ("attach", Vec::new()),
            Step::Use => (
                "use",
                vec![
                    self.state
                        .namespace
                        .clone()
                        .map_or(Value::None, Value::String),
                    self.state
                        .database
                        .clone()
                        .map_or(Value::None, Value::String),
                ],
            ),
            Step::Auth => match &self.state.auth {
                Auth::Credentials(credentials) => ("signin", vec![credentials.clone()]),
                Auth::Token { access, .. } => ("authenticate", vec![access.clone()]),
                Auth::None => ("ping", Vec::new()),
            },
            Step::Refresh => match &self.state.auth {
                Auth::Token {
                    access,
                    refresh: Some(refresh),
                } => (
                    "refresh",
                    vec![token_value(access.clone(), Some(refresh.clone()))],
                ),
                _ => ("ping", Vec::new()),
            },
            Step::Let(name) => (
                "let",
                vec![
                    Value::String(name.clone()),
                    self.state.variables.get(name).cloned().unwrap_or_default(),
                ],
            ),
        };
        self.current = Some(step);
        Some(request)
    }

    /// The answer to the last request.
    pub fn answer(&mut self, outcome: surrealdb::Result<DbResult>) {
        let step = self.current.take();
        match (step, outcome) {
            (Some(Step::Auth), Err(error)) => {
                if matches!(
                    self.state.auth,
                    Auth::Token {
                        refresh: Some(_),
                        ..
                    }
                ) {
                    self.steps.push_front(Step::Refresh);
                } else {
                    self.lose(&error);
                }
            }
            (Some(Step::Refresh), Ok(DbResult::Other(tokens))) => {
                if let Some((access, refresh)) = tokens_of(tokens) {
                    self.state.auth = Auth::Token { access, refresh };
                }
            }
            (Some(Step::Refresh), Err(error)) => self.lose(&error),
            // Attached already: by a setup that was cut short after its
            // attach (its caller cancelled), or by the connection's restore.
            (Some(Step::Attach), Err(error)) if error.is_already_exists() => {}
            (Some(Step::Attach), Err(error)) => {
                self.steps.clear();
                self.unattached = Some(error);
            }
            (Some(Step::Use), Err(error)) => self.lose(&error),
            _ => {}
        }
    }

    fn lose(&mut self, error: &surrealdb::Error) {
        if self.lost.is_none() {
            self.lost = Some(surrealdb::Error::not_allowed(
                format!(
                    "the session's authentication could not be restored after the connection \
                     was lost and opened again ({}); sign in again",
                    error.message()
                ),
                None,
            ));
        }
    }
}

/// Tokens as a value: `{access, refresh}`, without `refresh` when there is
/// none.
pub(super) fn token_value(access: Value, refresh: Option<Value>) -> Value {
    let mut object = surrealdb::types::Object::new();
    object.insert("access".to_owned(), access);
    if let Some(refresh) = refresh {
        object.insert("refresh".to_owned(), refresh);
    }
    Value::Object(object)
}

/// The access and refresh tokens of a server's answer: a string (access
/// only), or `{access, refresh}`.
pub(super) fn tokens_of(value: Value) -> Option<(Value, Option<Value>)> {
    match value {
        Value::String(access) => Some((Value::String(access), None)),
        Value::Object(mut object) => {
            let access = object.remove("access")?;
            let refresh = object.remove("refresh").filter(|value| !value.is_nullish());
            Some((access, refresh))
        }
        _ => None,
    }
}

/// A transaction of a session: its id on the server, and the connection it
/// began on (it is gone with that connection).
#[derive(Clone, Copy)]
pub struct Transaction {
    id: Uuid,
    generation: u64,
}

/// One session over a link.
pub struct Session {
    link: Link,
    record: Arc<SessionRecord>,
    serial: u64,
}

impl Session {
    pub(super) fn new(link: Link) -> Self {
        let record = Arc::new(SessionRecord {
            id: Uuid::new_v4(),
            state: Mutex::default(),
            attaching: tokio::sync::Mutex::new(()),
        });
        link.shared
            .sessions()
            .insert(record.id, Arc::clone(&record));
        let serial = link
            .shared
            .serials
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self {
            link,
            record,
            serial,
        }
    }

    /// This session's number in the live hub.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Waits for the connection, and sets this session up on it if it is
    /// new to it. Answers which connection it is.
    async fn ready(&self, check_lost: bool) -> surrealdb::Result<u64> {
        let generation = self.link.connected().await?;
        if check_lost {
            if let Some(error) = self.record.lost() {
                return Err(error);
            }
        }
        if self.record.state().attached != generation {
            // Boxed: rare (once per session and connection), and its future
            // would otherwise be part of every call's (see database.rs's
            // the_future_of_a_call_stays_small).
            Box::pin(self.set_up(generation, check_lost)).await?;
        }
        Ok(generation)
    }

    /// Sets this session up on connection `generation`: attached, and as it
    /// was if it was before (when the server refused to attach it while the
    /// connection was restored).
    async fn set_up(&self, generation: u64, check_lost: bool) -> surrealdb::Result<()> {
        let _attaching = self.record.attaching.lock().await;
        if self.record.state().attached == generation {
            return Ok(());
        }
        let mut replay = self.record.replay();
        while let Some((method, params)) = replay.next_step() {
            let outcome = self
                .link
                .send(method, params, self.record.id, None, None)
                .await;
            match outcome {
                Err(error) if error.is_connection() => return Err(error),
                outcome => replay.answer(outcome),
            }
        }
        self.record.restored(replay, generation)?;
        match self.record.lost() {
            Some(error) if check_lost => Err(error),
            _ => Ok(()),
        }
    }

    /// Runs one RPC method on this session.
    pub async fn call(&self, method: &str, params: Vec<Value>) -> surrealdb::Result<DbResult> {
        // Signing in again is how a session whose authentication was lost
        // recovers, so that alone is let through.
        let recovers = matches!(method, "signin" | "signup" | "authenticate" | "invalidate");
        self.ready(!recovers).await?;
        self.link
            .send(method, params, self.record.id, None, None)
            .await
    }

    /// Runs SurrealQL, in a transaction or not: one result per statement.
    pub async fn query(
        &self,
        sql: String,
        bindings: Option<Value>,
        transaction: Option<Transaction>,
    ) -> surrealdb::Result<Vec<QueryResult>> {
        match self.run_query(sql, bindings, transaction, false).await? {
            Answer::Decoded(DbResult::Query(results)) => Ok(results),
            _ => Err(not_results()),
        }
    }

    /// Like [`Self::query`], with each statement's result as C++ reads it:
    /// CBOR where the connection reads the answer in place (WebSocket),
    /// else a value.
    pub async fn query_outputs(
        &self,
        sql: String,
        bindings: Option<Value>,
        transaction: Option<Transaction>,
    ) -> surrealdb::Result<Vec<surrealdb::Result<Output>>> {
        match self.run_query(sql, bindings, transaction, true).await? {
            Answer::Encoded(statements) => Ok(statements
                .into_iter()
                .map(|statement| statement.map(Output::Cbor))
                .collect()),
            Answer::Decoded(DbResult::Query(results)) => Ok(results
                .into_iter()
                .map(|result| result.result.map(Output::Value))
                .collect()),
            Answer::Decoded(_) => Err(not_results()),
        }
    }

    async fn run_query(
        &self,
        sql: String,
        bindings: Option<Value>,
        transaction: Option<Transaction>,
        encoded: bool,
    ) -> surrealdb::Result<Answer> {
        let params = vec![Value::String(sql), bindings.unwrap_or(Value::None)];
        self.ready(true).await?;
        let txn = transaction.map(|transaction| (transaction.id, transaction.generation));
        self.link
            .request("query", params, self.record.id, txn, None, encoded)
            .await
    }

    /// Begins a transaction on the server.
    pub async fn begin(&self) -> surrealdb::Result<Transaction> {
        let generation = self.ready(true).await?;
        match self
            .link
            .send("begin", Vec::new(), self.record.id, None, None)
            .await?
        {
            DbResult::Other(Value::Uuid(id)) => Ok(Transaction {
                id: id.into_inner(),
                generation,
            }),
            _ => Err(surrealdb::Error::internal(
                "the server answered begin without a transaction id".to_owned(),
            )),
        }
    }

    /// Commits or cancels a transaction.
    pub async fn finish(&self, transaction: Transaction, commit: bool) -> surrealdb::Result<()> {
        self.ready(true).await?;
        let method = if commit { "commit" } else { "cancel" };
        let params = vec![Value::Uuid(transaction.id.into())];
        let txn = Some((transaction.id, transaction.generation));
        // Sent with the transaction's connection, so that it is refused, not
        // sent, on another (the `txn` field is ignored by these methods).
        self.link
            .send(method, params, self.record.id, txn, None)
            .await
            .map(|_| ())
    }

    /// Starts a live query: runs `sql` (which must hold one LIVE SELECT), and
    /// routes its notifications to `sink`, under the id answered, from now
    /// on and after any reconnect.
    pub async fn live(
        &self,
        sql: String,
        bindings: Option<Value>,
        sink: PendingSink,
    ) -> surrealdb::Result<Vec<QueryResult>> {
        self.ready(true).await?;
        let shareable = super::driver::is_live_alone(&sql);
        let _starting = match shareable {
            true => Some(self.link.shared.live_starts.lock().await),
            false => None,
        };
        if let Some(id) = shareable
            .then(|| self.share_live(&sql, &bindings, &sink))
            .flatten()
        {
            return Ok(vec![QueryResult {
                time: std::time::Duration::ZERO,
                result: Ok(Value::Uuid(id.into())),
                query_type: QueryType::Live,
            }]);
        }
        let params = vec![
            Value::String(sql.clone()),
            bindings.clone().unwrap_or(Value::None),
        ];
        let start = LiveStart {
            session: self.record.id,
            serial: self.serial,
            sql,
            bindings,
            sink,
        };
        match self
            .link
            .send("query", params, self.record.id, None, Some(start))
            .await?
        {
            DbResult::Query(results) => Ok(results),
            _ => Err(surrealdb::Error::internal(
                "the server answered a live query with something other than its results".to_owned(),
            )),
        }
    }

    /// Subscribes `sink` to a live query of this session with the same
    /// SurrealQL and bindings, if there is one; answers the subscriber's id.
    fn share_live(&self, sql: &str, bindings: &Option<Value>, sink: &PendingSink) -> Option<Uuid> {
        let mut lives = self.link.shared.lives();
        let record = lives.records.values_mut().find(|record| {
            record.restartable
                && record.session == self.record.id
                && record.sql == sql
                && record.bindings == *bindings
        })?;
        let sink = sink.take()?;
        let id = Uuid::new_v4();
        record.subscribers.push(id);
        // Under the lock, so that no notification comes between.
        self.link.shared.hub.subscribe(id, self.serial, sink);
        Some(id)
    }

    /// Forgets a subscriber of a live query: the live query is no longer
    /// started again after a reconnect once it has none.
    pub fn forget_live(&self, id: Uuid) -> Forgotten {
        let mut lives = self.link.shared.lives();
        let Some((&key, record)) = lives
            .records
            .iter_mut()
            .find(|(_, record)| record.subscribers.contains(&id))
        else {
            return Forgotten::Unknown;
        };
        record.subscribers.retain(|subscriber| *subscriber != id);
        if !record.subscribers.is_empty() {
            return Forgotten::Shared;
        }
        let server_id = record.server_id;
        lives.records.remove(&key);
        lives.routes.remove(&server_id);
        Forgotten::Last(server_id)
    }

    pub fn used(&self, namespace: Option<String>, database: Option<String>) {
        let mut state = self.record.state();
        if namespace.is_some() {
            state.namespace = namespace;
        }
        if database.is_some() {
            state.database = database;
        }
    }

    pub fn signed_in(&self, credentials: Value) {
        let mut state = self.record.state();
        state.auth = Auth::Credentials(credentials);
        state.lost = None;
    }

    pub fn authenticated(&self, access: Value, refresh: Option<Value>) {
        let mut state = self.record.state();
        state.auth = Auth::Token { access, refresh };
        state.lost = None;
    }

    pub fn invalidated(&self) {
        let mut state = self.record.state();
        state.auth = Auth::None;
        state.lost = None;
    }

    pub fn set(&self, name: String, value: Value) {
        self.record.state().variables.insert(name, value);
    }

    pub fn unset(&self, name: &str) {
        self.record.state().variables.remove(name);
    }

    /// Ends the session on the server; its live queries end with it.
    pub async fn close(self) {
        self.link.shared.sessions().remove(&self.record.id);
        {
            let mut lives = self.link.shared.lives();
            let ended: Vec<(Uuid, Uuid)> = lives
                .records
                .iter()
                .filter(|(_, record)| record.session == self.record.id)
                .map(|(key, record)| (*key, record.server_id))
                .collect();
            for (key, server_id) in ended {
                lives.records.remove(&key);
                lives.routes.remove(&server_id);
            }
        }
        if self.record.state().attached != 0 && self.link.state() == super::State::Connected {
            let _ = self
                .link
                .send("detach", Vec::new(), self.record.id, None, None)
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SessionRecord {
        let record = SessionRecord {
            id: Uuid::new_v4(),
            state: Mutex::default(),
            attaching: tokio::sync::Mutex::new(()),
        };
        {
            let mut state = record.state();
            state.namespace = Some("ns".to_owned());
            state.auth = Auth::Credentials(Value::String("credentials".to_owned()));
            state.variables.insert("x".to_owned(), Value::Bool(true));
            state.attached = 1;
        }
        record
    }

    /// Replays `record` on connection 2, answering each request with
    /// `answer`; the methods it sent.
    fn replay(
        record: &SessionRecord,
        answer: impl Fn(&str) -> surrealdb::Result<DbResult>,
    ) -> (Vec<&'static str>, surrealdb::Result<()>) {
        let mut replay = record.replay();
        let mut sent = Vec::new();
        while let Some((method, _)) = replay.next_step() {
            sent.push(method);
            replay.answer(answer(method));
        }
        (sent, record.restored(replay, 2))
    }

    #[test]
    fn a_session_is_set_up_again_as_it_was() {
        let record = record();
        let (sent, outcome) = replay(&record, |_| Ok(DbResult::Other(Value::None)));
        assert_eq!(sent, ["attach", "signin", "use", "let"]);
        assert!(outcome.is_ok());
        assert_eq!(record.state().attached, 2);
        assert!(record.lost().is_none());
    }

    #[test]
    fn a_session_the_server_refused_to_attach_stays_unattached() {
        let record = record();
        let (sent, outcome) = replay(&record, |method| match method {
            "attach" => Err(surrealdb::Error::internal("too many sessions".to_owned())),
            _ => Ok(DbResult::Other(Value::None)),
        });
        // Nothing is sent on a session the server does not know.
        assert_eq!(sent, ["attach"]);
        let error = outcome.unwrap_err();
        assert!(error.message().contains("too many sessions"), "{error}");
        // Its next call sets it up again, from the start.
        assert_eq!(record.state().attached, 1);
        let (sent, outcome) = replay(&record, |_| Ok(DbResult::Other(Value::None)));
        assert_eq!(sent, ["attach", "signin", "use", "let"]);
        assert!(outcome.is_ok());
        assert_eq!(record.state().attached, 2);
    }

    #[test]
    fn a_session_attached_already_is_set_up_on() {
        // Its last setup was cut short after the attach (its caller
        // cancelled): the server answers the attach "already exists".
        let record = record();
        let (sent, outcome) = replay(&record, |method| match method {
            "attach" => Err(surrealdb::Error::already_exists(
                "Session already exists".to_owned(),
                None,
            )),
            _ => Ok(DbResult::Other(Value::None)),
        });
        assert_eq!(sent, ["attach", "signin", "use", "let"]);
        assert!(outcome.is_ok());
        assert_eq!(record.state().attached, 2);
    }

    #[test]
    fn a_setup_outrun_by_a_newer_connection_changes_nothing() {
        let record = record();
        // The connection was restored (connection 3) while a setup on
        // connection 2 was under way, and its restore set the session up.
        record.state().attached = 3;
        let (_, outcome) = replay(&record, |method| match method {
            "attach" => Err(surrealdb::Error::internal("refused".to_owned())),
            _ => Ok(DbResult::Other(Value::None)),
        });
        assert!(outcome.is_ok());
        assert_eq!(record.state().attached, 3);
        assert!(record.lost().is_none());
    }

    #[test]
    fn a_session_whose_sign_in_failed_is_lost_until_it_signs_in_again() {
        let record = record();
        let (sent, outcome) = replay(&record, |method| match method {
            "signin" => Err(surrealdb::Error::not_allowed("expired".to_owned(), None)),
            _ => Ok(DbResult::Other(Value::None)),
        });
        assert_eq!(sent, ["attach", "signin", "use", "let"]);
        assert!(outcome.is_ok());
        assert_eq!(record.state().attached, 2);
        let lost = record.lost().expect("the session is lost");
        assert!(lost.message().contains("sign in again"), "{lost}");
    }
}

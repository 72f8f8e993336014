#include "surreal/database.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "calls.hpp"
#include "ffi/native.hpp"
#include "worker/worker.hpp"

namespace surreal {
namespace {

using detail::ignore;
using detail::single_result;

using detail::record_result;

/// A call's single result converted to T.
template <typename T>
T single_as(worker::Success&& success) {
  return single_result(success).get<T>();
}

Tokens to_tokens(worker::Success&& success) {
  Value result = single_result(success);
  Tokens tokens;
  tokens.access = result.at("access").get<std::string>();
  if (const Value* refresh = result.as_object().find("refresh")) {
    tokens.refresh = refresh->get<std::string>();
  }
  return tokens;
}

Value to_value(const Targets& targets) {
  if (const bool* all = std::get_if<bool>(&targets)) return Value(*all);
  Array names;
  for (const auto& name : std::get<std::vector<std::string>>(targets)) names.emplace_back(name);
  return Value(std::move(names));
}

/// ConnectOptions as surreal_db_configure reads them; NONE when they hold
/// nothing for it.
Value native_options(const ConnectOptions& options) {
  Object native;
  if (options.root) {
    native.insert_or_assign("root", Object{{"user", options.root->username},
                                           {"pass", options.root->password}});
  }
  if (options.ca_file) native.insert_or_assign("ca_file", *options.ca_file);
  const Capabilities& caps = options.capabilities;
  if (caps.guest_access) native.insert_or_assign("guest_access", *caps.guest_access);
  if (caps.live_query_notifications) {
    native.insert_or_assign("live_query_notifications", *caps.live_query_notifications);
  }
  const std::pair<const char*, const std::optional<Targets>*> lists[] = {
      {"allow_functions", &caps.allow_functions},
      {"deny_functions", &caps.deny_functions},
      {"allow_net", &caps.allow_net},
      {"deny_net", &caps.deny_net}};
  for (const auto& [key, targets] : lists) {
    if (*targets) native.insert_or_assign(key, to_value(**targets));
  }
  if (options.query_timeout) native.insert_or_assign("query_timeout", Duration(*options.query_timeout));
  if (options.transaction_timeout) {
    native.insert_or_assign("transaction_timeout", Duration(*options.transaction_timeout));
  }
  const ReconnectOptions& reconnect = options.reconnect;
  native.insert_or_assign(
      "reconnect",
      Object{{"enabled", reconnect.enabled},
             {"attempts", reconnect.attempts ? Value(std::int64_t{*reconnect.attempts}) : Value()},
             {"delay", Duration(reconnect.delay)},
             {"max_delay", Duration(reconnect.max_delay)},
             {"multiplier", reconnect.multiplier},
             {"jitter", reconnect.jitter}});
  native.insert_or_assign("heartbeat", Object{{"interval", Duration(options.heartbeat.interval)},
                                              {"timeout", Duration(options.heartbeat.timeout)}});
  return native.empty() ? Value() : Value(std::move(native));
}

Value to_value(const ExportOptions& options) {
  Object native;
  const std::pair<const char*, const std::optional<bool>*> flags[] = {
      {"users", &options.users},         {"accesses", &options.accesses},
      {"params", &options.params},       {"functions", &options.functions},
      {"analyzers", &options.analyzers}, {"records", &options.records},
      {"sequences", &options.sequences}};
  for (const auto& [key, flag] : flags) {
    if (*flag) native.insert_or_assign(key, **flag);
  }
  if (options.tables) {
    Array names;
    for (const auto& name : *options.tables) names.emplace_back(name);
    native.insert_or_assign("tables", std::move(names));
  }
  return Value(std::move(native));
}

/// The stream of an export: hands each chunk to `write`, counts the bytes
/// for the progress callback, and keeps the first exception `write` throws,
/// which stops the export (see Database::export_with).
struct ExportSink {
  std::function<void(std::string_view)> write;
  std::function<void(std::uint64_t)> progress;
  std::uint64_t written = 0;
  std::exception_ptr error;
};

}  // namespace

PatchOp PatchOp::add(std::string path, Value value) {
  return PatchOp{"add", std::move(path), std::move(value)};
}
PatchOp PatchOp::remove(std::string path) { return PatchOp{"remove", std::move(path), Value()}; }
PatchOp PatchOp::replace(std::string path, Value value) {
  return PatchOp{"replace", std::move(path), std::move(value)};
}
PatchOp PatchOp::change(std::string path, std::string diff) {
  return PatchOp{"change", std::move(path), Value(std::move(diff))};
}

std::string to_endpoint(StorageBackend backend, const std::optional<std::string>& path) {
  switch (backend) {
    case StorageBackend::memory:
      return "mem://";
    case StorageBackend::rocksdb:
    case StorageBackend::surrealkv: {
      const char* scheme = backend == StorageBackend::rocksdb ? "rocksdb" : "surrealkv";
      if (!path || path->empty()) {
        throw std::invalid_argument(std::string("surreal: the ") + scheme +
                                    " backend needs a directory path");
      }
      return std::string(scheme) + "://" + *path;
    }
  }
  throw std::invalid_argument("surreal: unknown storage backend");
}

Response::Response(std::vector<Value> results, std::vector<std::optional<std::string>> errors)
    : results_(std::move(results)), errors_(std::move(errors)) {
  if (results_.size() != errors_.size()) {
    throw std::invalid_argument("surreal::Response: one result and one error slot per statement");
  }
  failures_.reserve(errors_.size());
  for (std::size_t index = 0; index < errors_.size(); ++index) {
    const auto& text = errors_[index];
    failures_.push_back(text ? std::make_exception_ptr(QueryException(
                                   error_code::query,
                                   "statement " + std::to_string(index) + " failed: " + *text, *text))
                             : nullptr);
  }
}

Response::Response(std::vector<Value> results, std::vector<std::exception_ptr> failures)
    : results_(std::move(results)), failures_(std::move(failures)) {
  if (results_.size() != failures_.size()) {
    throw std::invalid_argument("surreal::Response: one result and one failure per statement");
  }
  errors_.reserve(failures_.size());
  for (const auto& failure : failures_) {
    errors_.push_back(failure ? std::optional(ffi::describe(failure).second) : std::nullopt);
  }
}

bool Response::has_errors() const noexcept {
  for (const auto& error : errors_) {
    if (error) return true;
  }
  return false;
}

std::vector<std::string> Response::errors() const {
  std::vector<std::string> texts;
  for (const auto& error : errors_) {
    if (error) texts.push_back(*error);
  }
  return texts;
}

const std::optional<std::string>& Response::error(std::size_t index) const {
  return errors_.at(index);
}

std::exception_ptr Response::exception(std::size_t index) const { return failures_.at(index); }

Response& Response::check() & {
  for (const auto& failure : failures_) {
    if (failure) std::rethrow_exception(failure);
  }
  return *this;
}

Response&& Response::check() && { return std::move(check()); }

void Response::check_statement(std::size_t index) const {
  if (const auto& failure = failures_.at(index)) std::rethrow_exception(failure);
}

Value Response::take(std::size_t index) const& {
  check_statement(index);
  return results_.at(index);
}

Value Response::take(std::size_t index) && {
  check_statement(index);
  return std::move(results_.at(index));
}

/// Sends `command` and returns the future of what `convert` makes of its
/// reply (see detail::prepare_call). A caller that waits for it may run it
/// on its own thread (Wake::deferred).
template <typename T, typename Command, typename Convert>
Future<T> Database::call(Command command, const CallOptions& options, Convert convert) const {
  auto call = detail::prepare_call<T>(shared(), std::move(command), options, std::move(convert));
  detail::post_call(shared(), std::move(call.task), worker::Worker::Wake::deferred);
  return std::move(call.future);
}

Future<Database> Database::connect(StorageBackend backend, std::optional<std::string> path,
                                   std::optional<std::string> ns,
                                   std::optional<std::string> db) {
  return connect(to_endpoint(backend, path), std::move(ns), std::move(db));
}

Future<Database> Database::connect(std::string endpoint, std::optional<std::string> ns,
                                   std::optional<std::string> db) {
  ConnectOptions options;
  options.ns = std::move(ns);
  options.db = std::move(db);
  return connect(std::move(endpoint), std::move(options));
}

Future<Database> Database::connect(std::string endpoint, ConnectOptions options) {
  auto shared = std::make_shared<detail::DatabaseShared>();
  shared->worker.start();
  // The completion holds the worker until the Database it makes owns it, and
  // hands its reference over, so that the caller's Database is the only one.
  // The default timeout is for the Database's calls, not for opening it.
  const Database connecting(shared);
  Value native = native_options(options);
  return connecting.call<Database>(
      worker::Connect{std::move(endpoint), std::move(options.ns), std::move(options.db),
                      std::move(native), shared->state},
      CallOptions{}, [shared, timeout = options.timeout,
                      buffer = options.live_query_buffer](worker::Success&&) mutable {
        shared->timeout = timeout;
        shared->live_query_buffer = buffer;
        return Database(std::move(shared));
      });
}

Database::Database(std::shared_ptr<detail::DatabaseShared> shared) : shared_(std::move(shared)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

// Releasing the worker disposes it: the datastore is closed and the thread
// joined before this returns (unless a completion on the worker thread holds
// the last reference, in which case the worker finishes on its own).
Database::~Database() = default;

detail::DatabaseShared& Database::shared() const {
  if (!shared_) {
    throw std::logic_error("surreal::Database: used after being moved from");
  }
  return *shared_;
}

Future<void> Database::use_namespace(std::string ns, CallOptions options) {
  return call<void>(worker::UseNamespace{std::move(ns)}, options, ignore);
}

Future<void> Database::use_database(std::string db, CallOptions options) {
  return call<void>(worker::UseDatabase{std::move(db)}, options, ignore);
}

Future<Response> Database::query(std::string sql, Object bindings, CallOptions options) {
  Value variables = bindings.empty() ? Value() : Value(std::move(bindings));
  return call<Response>(worker::Query{std::move(sql), std::move(variables)}, options,
                        [](worker::Success&& success) {
                          return Response(std::move(success.results),
                                          std::move(success.statement_errors));
                        });
}

Future<Value> Database::select(Resource resource, CallOptions options) {
  const bool one_record = resource.is_record();
  return call<Value>(worker::Select{std::move(resource)}, options,
                     [one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<Value> Database::create(Resource resource, Value data, CallOptions options) {
  // Creating makes one record, even in a table: unwrap it.
  return call<Value>(worker::Create{std::move(resource), std::move(data)}, options,
                     [](worker::Success&& success) { return record_result(success, true); });
}

Future<Value> Database::update(Resource resource, Value data, CallOptions options) {
  const bool one_record = resource.is_record();
  return call<Value>(worker::Update{std::move(resource), std::move(data)}, options,
                     [one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<Value> Database::remove(Resource resource, CallOptions options) {
  const bool one_record = resource.is_record();
  return call<Value>(worker::Delete{std::move(resource)}, options,
                     [one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<Database> Database::new_session(CallOptions options) {
  return call<Database>(worker::NewSession{}, options,
                        [timeout = shared().timeout,
                         buffer = shared().live_query_buffer](worker::Success&& success) {
                          auto session = std::make_shared<detail::DatabaseShared>();
                          session->timeout = timeout;
                          session->live_query_buffer = buffer;
                          session->state->watch(success.session.get());
                          session->worker.adopt(std::move(success.session));
                          session->worker.start();
                          return Database(std::move(session));
                        });
}

Future<Value> Database::record_call(detail::VerbCall verb, const CallOptions& options) {
  return call<Value>(worker::Call{verb.method, std::move(verb.args)}, options,
                     [one_record = verb.one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<Value> Database::insert(std::string table, Value data, CallOptions options) {
  return record_call(detail::insert_call("insert", std::move(table), std::move(data)), options);
}

Future<Value> Database::insert_relation(std::string table, Value data, CallOptions options) {
  return record_call(detail::insert_call("insert_relation", std::move(table), std::move(data)),
                   options);
}

Future<Value> Database::upsert(Resource resource, Value data, CallOptions options) {
  return record_call(detail::resource_call("upsert", resource, std::move(data)), options);
}

Future<Value> Database::merge(Resource resource, Value data, CallOptions options) {
  return record_call(detail::resource_call("merge", resource, std::move(data)), options);
}

Future<Value> Database::patch(Resource resource, std::vector<PatchOp> operations,
                              CallOptions options) {
  return record_call(detail::patch_call(resource, std::move(operations)), options);
}

Future<Value> Database::relate(RecordId from, std::string edge, RecordId to, Value data,
                               CallOptions options) {
  return record_call(
      detail::relate_call(std::move(from), std::move(edge), std::move(to), std::move(data)),
      options);
}

Future<Value> Database::run(std::string function, Array args, CallOptions options) {
  Array call_args{Value(std::move(function)), Value(std::move(args))};
  return call<Value>(worker::Call{"run", std::move(call_args)}, options,
                     [](worker::Success&& success) { return single_result(success); });
}

Future<std::string> Database::version(CallOptions options) {
  return call<std::string>(worker::Call{"version", {}}, options, single_as<std::string>);
}

Future<void> Database::health(CallOptions options) {
  return call<void>(worker::Call{"health", {}}, options, ignore);
}

Future<Tokens> Database::tokens_call(std::string method, Value credentials,
                                     const CallOptions& options) {
  return call<Tokens>(worker::SessionCall{std::move(method), {std::move(credentials)}}, options,
                      to_tokens);
}

Future<Tokens> Database::signin(auth::Root credentials, CallOptions options) {
  Object object{{"user", std::move(credentials.username)},
                {"pass", std::move(credentials.password)}};
  return tokens_call("signin", Value(std::move(object)), options);
}

Future<Tokens> Database::signin(auth::Namespace credentials, CallOptions options) {
  Object object{{"ns", std::move(credentials.ns)},
                {"user", std::move(credentials.username)},
                {"pass", std::move(credentials.password)}};
  return tokens_call("signin", Value(std::move(object)), options);
}

Future<Tokens> Database::signin(auth::Database credentials, CallOptions options) {
  Object object{{"ns", std::move(credentials.ns)},
                {"db", std::move(credentials.db)},
                {"user", std::move(credentials.username)},
                {"pass", std::move(credentials.password)}};
  return tokens_call("signin", Value(std::move(object)), options);
}

namespace {
/// Record credentials as the core reads them: the access method's
/// parameters beside ns, db and ac (which they may not replace).
Value record_credentials(auth::Record credentials) {
  Object object = std::move(credentials.params);
  object.insert_or_assign("ns", std::move(credentials.ns));
  object.insert_or_assign("db", std::move(credentials.db));
  object.insert_or_assign("ac", std::move(credentials.access));
  return Value(std::move(object));
}
}  // namespace

Future<Tokens> Database::signin(auth::Record credentials, CallOptions options) {
  return tokens_call("signin", record_credentials(std::move(credentials)), options);
}

Future<Tokens> Database::signup(auth::Record credentials, CallOptions options) {
  return tokens_call("signup", record_credentials(std::move(credentials)), options);
}

Future<Tokens> Database::signin(auth::Bearer credentials, CallOptions options) {
  Object object{{"ac", std::move(credentials.access)}, {"key", std::move(credentials.key)}};
  if (credentials.ns) object.insert_or_assign("ns", std::move(*credentials.ns));
  if (credentials.db) object.insert_or_assign("db", std::move(*credentials.db));
  return tokens_call("signin", Value(std::move(object)), options);
}

Future<Tokens> Database::refresh(Tokens tokens, CallOptions options) {
  if (!tokens.refresh) {
    throw std::invalid_argument(
        "surreal::Database::refresh: the tokens have no refresh token (the access method "
        "issues one WITH REFRESH)");
  }
  Object object{{"access", std::move(tokens.access)}, {"refresh", std::move(*tokens.refresh)}};
  return tokens_call("refresh", Value(std::move(object)), options);
}

Future<void> Database::authenticate(std::string token, CallOptions options) {
  return call<void>(worker::SessionCall{"authenticate", {Value(std::move(token))}}, options,
                    ignore);
}

Future<void> Database::invalidate(CallOptions options) {
  return call<void>(worker::SessionCall{"invalidate", {}}, options, ignore);
}

Future<void> Database::set(std::string name, Value value, CallOptions options) {
  Array args{Value(std::move(name)), std::move(value)};
  return call<void>(worker::SessionCall{"set", std::move(args)}, options, ignore);
}

Future<void> Database::unset(std::string name, CallOptions options) {
  return call<void>(worker::SessionCall{"unset", {Value(std::move(name))}}, options, ignore);
}

Future<void> Database::export_with(std::function<void(std::string_view)> write,
                                   ExportOptions export_options, CallOptions options,
                                   std::function<void()> finish) {
  auto sink = std::make_shared<ExportSink>();
  sink->write = std::move(write);
  sink->progress = std::move(export_options.progress);
  auto stream = std::make_shared<worker::Stream>();
  stream->chunk = [sink](const std::uint8_t* data, std::size_t len) noexcept {
    try {
      sink->write(std::string_view(reinterpret_cast<const char*>(data), len));
      sink->written += len;
      if (sink->progress) sink->progress(sink->written);
      return true;
    } catch (...) {
      sink->error = std::current_exception();
      return false;
    }
  };
  worker::Call command{"export", {to_value(export_options)}, std::move(stream)};
  return call<void>(std::move(command), options, ignore)
      .then([sink, finish = std::move(finish)](Result<void> result) {
        // The sink's own exception says more than "stopped by its callback".
        if (sink->error) std::rethrow_exception(sink->error);
        result.value();
        if (finish) finish();
      });
}

Future<void> Database::export_to(std::filesystem::path file, ExportOptions export_options,
                                 CallOptions options) {
  std::filesystem::path partial = file;
  partial += ".partial";
  errno = 0;
  auto out = std::make_shared<std::ofstream>(partial, std::ios::binary | std::ios::trunc);
  if (!*out) {
    // The reason the system gave (libstdc++ opens with open(2), which sets
    // errno): "No such file or directory", "Permission denied"...
    const int reason = errno != 0 ? errno : EIO;
    Promise<void> failed;
    failed.set_exception(std::make_exception_ptr(std::filesystem::filesystem_error(
        "surreal: cannot write the export", partial,
        std::error_code(reason, std::generic_category()))));
    return failed.get_future();
  }
  out->exceptions(std::ios::failbit | std::ios::badbit);
  auto write = [out](std::string_view chunk) { out->write(chunk.data(), chunk.size()); };
  auto finish = [out, partial, file] {
    out->close();
    std::filesystem::rename(partial, file);
  };
  return export_with(std::move(write), std::move(export_options), options, std::move(finish))
      .then([out, partial](Result<void> result) {
        if (!result) {
          out->exceptions(std::ios::goodbit);
          out->close();
          std::error_code ignored;
          std::filesystem::remove(partial, ignored);
        }
        result.value();
      });
}

Future<void> Database::export_to(std::ostream& out, ExportOptions export_options,
                                 CallOptions options) {
  auto write = [&out](std::string_view chunk) {
    if (!out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
      throw std::ios_base::failure("surreal: writing the export to the stream failed");
    }
  };
  return export_with(std::move(write), std::move(export_options), options, [&out] {
    if (!out.flush()) throw std::ios_base::failure("surreal: flushing the export failed");
  });
}

Future<void> Database::export_to(std::function<void(std::string_view chunk)> sink,
                                 ExportOptions export_options, CallOptions options) {
  return export_with(std::move(sink), std::move(export_options), options, nullptr);
}

Future<void> Database::import_from(std::filesystem::path file, CallOptions options) {
  return import_from(std::move(file), ImportOptions{}, options);
}

Future<void> Database::import_from(std::filesystem::path file, ImportOptions import_options,
                                   CallOptions options) {
  if (!import_options.progress) {
    worker::Call command{"import", {Value(file.string())}, nullptr};
    return call<void>(std::move(command), options, ignore);
  }
  // As an export's callbacks: the first exception the progress callback
  // throws stops the import and is what it fails with.
  struct Progress {
    std::function<void(std::uint64_t, std::uint64_t)> report;
    std::exception_ptr error;
  };
  auto progress = std::make_shared<Progress>();
  progress->report = std::move(import_options.progress);
  auto stream = std::make_shared<worker::Stream>();
  stream->progress = [progress](std::uint64_t done, std::uint64_t total) noexcept {
    try {
      progress->report(done, total);
      return true;
    } catch (...) {
      if (!progress->error) progress->error = std::current_exception();
      return false;
    }
  };
  worker::Call command{"import", {Value(file.string())}, std::move(stream)};
  return call<void>(std::move(command), options, ignore).then([progress](Result<void> result) {
    if (progress->error) std::rethrow_exception(progress->error);
    result.value();
  });
}

Future<void> Database::close() {
  return call<void>(worker::Close{}, CallOptions{},
                    [state = shared().state](worker::Success&&) { state->close(); });
}

ConnectionState Database::state() const { return shared().state->get(); }

Subscription Database::on_state_change(std::function<void(ConnectionState)> listener) {
  const std::shared_ptr<worker::StateWatch>& state = shared().state;
  const std::uint64_t key = state->add(std::move(listener));
  return Subscription([weak = std::weak_ptr<worker::StateWatch>(state), key] {
    if (auto state = weak.lock()) state->remove(key);
  });
}

}  // namespace surreal

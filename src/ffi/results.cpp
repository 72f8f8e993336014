#include "ffi/results.hpp"

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "ffi/native.hpp"

namespace surreal::ffi {
namespace {

using nlohmann::json;

/// Builds a json tree from the visitor's events: each value goes into the
/// innermost open container, under the last key when that is an object.
class TreeBuilder {
 public:
  /// The callbacks, each forwarding to the TreeBuilder passed as context. An
  /// exception (std::bad_alloc) must not cross into Rust: it is kept, the
  /// walk is stopped, and read_results rethrows it.
  static const SurrealJsonVisitor visitor;

  json take() && { return std::move(root_); }
  std::exception_ptr failure() const { return failure_; }

 private:
  /// Adds `value` where the walk is; returns where it was put.
  json* add(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      auto& items = parent.get_ref<json::array_t&>();
      items.push_back(std::move(value));
      return &items.back();
    }
    // SurrealDB objects arrive sorted by key (they are B-tree maps), so
    // inserting at the end is the right hint: each insert is then O(1).
    auto& fields = parent.get_ref<json::object_t&>();
    const auto added = fields.emplace_hint(fields.end(), std::piecewise_construct,
                                           std::forward_as_tuple(key_),
                                           std::forward_as_tuple(std::move(value)));
    return &added->second;
  }

  void open(json container, std::size_t len) {
    json* added = add(std::move(container));
    if (added->is_array()) added->get_ref<json::array_t&>().reserve(len);
    open_.push_back(added);
  }

  /// Runs one event's `body` on the TreeBuilder behind `context`.
  template <typename Body>
  static bool event(void* context, Body&& body) noexcept {
    auto& self = *static_cast<TreeBuilder*>(context);
    try {
      body(self);
      return true;
    } catch (...) {
      self.failure_ = std::current_exception();
      return false;
    }
  }

  json root_;
  std::vector<json*> open_;  // the containers the walk is inside, innermost last
  std::string_view key_;  // the next value's key, inside an object: the visitor
                          // keeps its text valid until that value is over
  std::exception_ptr failure_;
};

const SurrealJsonVisitor TreeBuilder::visitor = {
    .null = [](void* c) { return event(c, [](TreeBuilder& b) { b.add(nullptr); }); },
    .boolean = [](void* c, bool v) { return event(c, [v](TreeBuilder& b) { b.add(v); }); },
    .integer = [](void* c, int64_t v) { return event(c, [v](TreeBuilder& b) { b.add(v); }); },
    .unsigned_integer = [](void* c,
                           uint64_t v) { return event(c, [v](TreeBuilder& b) { b.add(v); }); },
    .floating = [](void* c, double v) { return event(c, [v](TreeBuilder& b) { b.add(v); }); },
    .string =
        [](void* c, const char* data, std::size_t len) {
          return event(c, [&](TreeBuilder& b) { b.add(std::string(data, len)); });
        },
    .begin_array =
        [](void* c, std::size_t len) {
          return event(c, [len](TreeBuilder& b) { b.open(json::array(), len); });
        },
    .end_array = [](void* c) { return event(c, [](TreeBuilder& b) { b.open_.pop_back(); }); },
    .begin_object =
        [](void* c, std::size_t len) {
          return event(c, [len](TreeBuilder& b) { b.open(json::object(), len); });
        },
    .key =
        [](void* c, const char* data, std::size_t len) {
          return event(c, [&](TreeBuilder& b) { b.key_ = std::string_view(data, len); });
        },
    .end_object = [](void* c) { return event(c, [](TreeBuilder& b) { b.open_.pop_back(); }); },
};

}  // namespace

json read_results(const SurrealResponse* response) {
  TreeBuilder builder;
  const int status = surreal_response_visit_results(response, &TreeBuilder::visitor, &builder);
  if (builder.failure()) std::rethrow_exception(builder.failure());
  check(status);
  return std::move(builder).take();
}

}  // namespace surreal::ffi

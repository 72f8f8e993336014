// A Value from a JSON document (nlohmann::json): the JSON kinds map to
// SurrealDB's. The other way, to_json(), renders as SurrealDB's SDK does
// and needs the native library: text.cpp.
#include "surreal/value.hpp"

#include <cstring>
#include <string>
#include <utility>

namespace surreal {

Value Value::from_json(const nlohmann::json& json) {
  using Type = nlohmann::json::value_t;
  switch (json.type()) {
    case Type::null: return Value(nullptr);
    case Type::boolean: return Value(json.get<bool>());
    case Type::number_integer: return Value(json.get<std::int64_t>());
    case Type::number_unsigned: {
      const auto number = json.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Value(static_cast<double>(number));
      }
      return Value(static_cast<std::int64_t>(number));
    }
    case Type::number_float: return Value(json.get<double>());
    case Type::string: return Value(json.get_ref<const std::string&>());
    case Type::array: {
      Array items;
      items.reserve(json.size());
      for (const nlohmann::json& item : json) items.push_back(from_json(item));
      return Value(std::move(items));
    }
    case Type::object: {
      // nlohmann::json keeps members in a std::map: already in key order.
      Object members;
      members.reserve(json.size());
      for (auto member = json.begin(); member != json.end(); ++member) {
        members.insert_or_assign(member.key(), from_json(member.value()));
      }
      return Value(std::move(members));
    }
    case Type::binary: {
      const auto& binary = json.get_binary();
      Bytes bytes(binary.size());
      std::memcpy(bytes.data(), binary.data(), binary.size());
      return Value(std::move(bytes));
    }
    case Type::discarded: return Value();
  }
  return Value();
}

}  // namespace surreal

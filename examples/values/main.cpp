// Typed values: surreal::Value and SurrealDB's kinds (record ids, datetimes,
// durations, exact decimals), and structs of your own stored and read back
// with db.create() and db.select<T>(), converted by SURREAL_DEFINE_TYPE or by
// hand-written to_value/from_value. Built and run by ctest (example_values).
#include <surreal/surreal.hpp>

#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono;

namespace shop {

/// An enum stored as text: to_value and from_value, found by
/// argument-dependent lookup, convert it both ways.
enum class Status { draft, listed };

void to_value(surreal::Value& out, const Status& status) {
  out = status == Status::listed ? "listed" : "draft";
}
void from_value(const surreal::Value& in, Status& status) {
  const std::string& text = in.as_string();  // TypeError if not a string
  if (text != "draft" && text != "listed") throw surreal::TypeError("unknown status: " + text);
  status = text == "listed" ? Status::listed : Status::draft;
}

/// A plain struct: one line makes it convert to and from an object.
struct Product {
  std::optional<surreal::RecordId> id;  // absent until the database gives one
  std::string name;
  surreal::Decimal price;               // exact: no binary rounding
  std::vector<std::string> tags;
  sys_seconds added;                    // a datetime
  hours warranty{0};                    // a duration
  Status status = Status::draft;        // through the functions above
};
SURREAL_DEFINE_TYPE(Product, id, name, price, tags, added, warranty, status)

}  // namespace shop

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

int run() {
  surreal::Database db = surreal::Database::connect("mem://", "shop", "main").get();

  // 1. A Value holds any of SurrealDB's kinds; C++ values convert implicitly.
  const surreal::Object order{
      {"customer", surreal::RecordId{"customer", "ann"}},
      {"total", surreal::Decimal("0.10")},
      {"placed", sys_days{2024y / March / 1} + 9h},
      {"deliver_within", hours(48)},
      {"items", surreal::Array{"pen", "ink"}},
      {"gift", true},
  };
  // Bound as $order (never pasted into the SQL text) and returned as it was.
  surreal::Response response = db.query(
      "RETURN $order; RETURN $order.placed + $order.deliver_within; "
      "RETURN $order.total + 0.20dec",
      {{"order", order}}).get();
  surreal::Value echoed = response.take(0);
  check(echoed == order, "the order comes back unchanged");
  check(echoed["customer"].is_record_id() && echoed["total"].is_decimal() &&
            echoed["placed"].is_datetime() && echoed["deliver_within"].is_duration(),
        "each member keeps its kind");
  surreal::RecordId customer = echoed["customer"].get<surreal::RecordId>();
  check(customer.table() == "customer" && customer.key() == "ann", "record id parts");
  // Datetime + duration is a datetime; 0.10 + 0.20 is exactly 0.30 as decimals.
  auto due = response.take<sys_seconds>(1);
  check(due == sys_days{2024y / March / 3} + 9h, "due two days later");
  check(response.take<surreal::Decimal>(2) == surreal::Decimal("0.3"), "exact decimal sum");
  std::cout << "order: " << echoed << "\ndue: " << response.take(1) << '\n';

  // SurrealQL literals parse with SurrealDB's own parser.
  check(surreal::Value::parse("customer:ann") == surreal::RecordId{"customer", "ann"},
        "Value::parse reads a record id");

  // 2. Your own types: create() takes them, select<T>() gives them back.
  shop::Product pen{std::nullopt, "Fountain pen", surreal::Decimal("24.90"),
                    {"writing", "gift"}, floor<seconds>(system_clock::now()),
                    hours(24 * 365), shop::Status::listed};
  surreal::Value stored = db.create(surreal::RecordId{"product", "pen"}, pen).get();
  check(stored["status"] == "listed", "the enum is stored as text");
  check(stored["price"].is_decimal() && stored["added"].is_datetime(), "stored kinds");
  db.create("product", shop::Product{std::nullopt, "Ink", surreal::Decimal("6.50"), {}, pen.added,
                                     hours(0), shop::Status::draft}).get();  // a random id

  std::vector<shop::Product> products = db.select<shop::Product>("product").get();
  check(products.size() == 2, "two products");
  // One record id: an optional, empty when it does not exist.
  std::optional<shop::Product> found =
      db.select<shop::Product>(surreal::RecordId{"product", "pen"}).get();
  check(found.has_value(), "product:pen exists");
  const shop::Product& read = *found;
  check(read.id == surreal::RecordId{"product", "pen"}, "the id is filled in");
  check(read.name == pen.name && read.price == pen.price && read.tags == pen.tags &&
            read.added == pen.added && read.warranty == pen.warranty &&
            read.status == shop::Status::listed,
        "every field round-trips");

  // Query results convert too: take<T>() on a statement's result.
  auto listed = db.query("SELECT * FROM product WHERE status = $status ORDER BY name",
                         {{"status", shop::Status::listed}})
                    .get()
                    .take<std::vector<shop::Product>>(0);
  check(listed.size() == 1 && listed[0].name == "Fountain pen", "one listed product");
  for (const shop::Product& p : products) {
    std::cout << p.id->to_string() << ": " << p.name << ", " << p.price.text() << '\n';
  }

  // A record of the wrong shape is a TypeError naming the field.
  db.create(surreal::RecordId{"product", "broken"}, {{"name", 42}}).get();
  try {
    db.select<shop::Product>(surreal::RecordId{"product", "broken"}).get();
    check(false, "a malformed record does not convert");
  } catch (const surreal::TypeError& e) {
    std::cout << "as expected: " << e.what() << '\n';
  }
  db.close().get();
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "example_values: " << e.what() << '\n';
    return 1;
  }
}

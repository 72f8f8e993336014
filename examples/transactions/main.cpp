// Interactive transactions: db.begin(), record calls inside the transaction,
// commit() (all of it at once, or, after a conflict, none of it: run it
// again), and cancel() or a failed call, which leave nothing behind.
// Built and run by ctest (example_transactions).
#include <surreal/surreal.hpp>

#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>

using surreal::RecordId;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

std::int64_t balance(surreal::Database& db, const RecordId& account) {
  return db.select(account).get()["balance"].get<std::int64_t>();
}

/// Moves `amount` between two accounts, both or neither. False when `from`
/// has too little (the transaction is cancelled). A commit that loses a
/// conflict with another writer committed nothing: run it all again.
bool transfer(surreal::Database& db, const RecordId& from, const RecordId& to, std::int64_t amount) {
  for (;;) {
    surreal::Transaction tx = db.begin().get();
    try {
      // Reads inside the transaction see the data as of begin(), plus its own writes.
      auto from_balance = tx.select(from).get()["balance"].get<std::int64_t>();
      auto to_balance = tx.select(to).get()["balance"].get<std::int64_t>();
      if (from_balance < amount) {
        tx.cancel().get();  // (destroying tx uncommitted would cancel it too)
        return false;
      }
      // Calls run in the order made: no need to wait for each, and the
      // commit fails if one of them did.
      auto debit = tx.merge(from, surreal::Object{{"balance", from_balance - amount}});
      auto credit = tx.merge(to, surreal::Object{{"balance", to_balance + amount}});
      tx.commit().get();
      return true;
    } catch (const surreal::TransactionConflictException&) {
      std::cout << "conflict: running the transfer again\n";
    }
  }
}

int run() {
  surreal::Database db = surreal::Database::connect("mem://", "bank", "main").get();
  const RecordId ann{"account", "ann"}, bob{"account", "bob"};
  db.create(ann, surreal::Object{{"balance", 100}}).get();
  db.create(bob, surreal::Object{{"balance", 50}}).get();

  // 1. Commit: nothing is visible outside until commit() returns.
  surreal::Transaction tx = db.begin().get();
  tx.merge(ann, surreal::Object{{"balance", 70}}).get();
  tx.merge(bob, surreal::Object{{"balance", 80}}).get();
  check(balance(db, ann) == 100, "outside the transaction ann still has 100");
  check(tx.select(ann).get()["balance"] == 70, "inside it ann has 70");
  tx.commit().get();
  check(balance(db, ann) == 70 && balance(db, bob) == 80, "both writes committed");

  // 2. Cancel: a new account and a changed balance, rolled back.
  surreal::Transaction rolled_back = db.begin().get();
  rolled_back.create(RecordId{"account", "cy"}, surreal::Object{{"balance", 1000}}).get();
  rolled_back.merge(ann, surreal::Object{{"balance", 0}}).get();
  rolled_back.cancel().get();
  check(db.select(RecordId{"account", "cy"}).get().is_none(), "account:cy was never created");
  check(balance(db, ann) == 70, "ann's balance is unchanged");

  // 3. A call that fails spoils the transaction: commit() cancels it and
  // throws, so half of what was meant is never committed.
  surreal::Transaction spoiled = db.begin().get();
  auto emptied = spoiled.merge(ann, surreal::Object{{"balance", 0}});
  auto created = spoiled.create(bob, surreal::Object{{"balance", 0}});  // fails: account:bob exists
  try {
    spoiled.commit().get();
    check(false, "a spoiled transaction does not commit");
  } catch (const surreal::QueryException& e) {
    std::cout << "not committed: " << e.what() << '\n';
  }
  check(balance(db, ann) == 70, "the merge before the failure was rolled back");

  // 4. Two writers of one record: the second commit loses the conflict.
  surreal::Transaction first = db.begin().get();
  surreal::Transaction second = db.begin().get();
  auto seen_first = first.select(ann).get()["balance"].get<std::int64_t>();
  auto seen_second = second.select(ann).get()["balance"].get<std::int64_t>();
  first.merge(ann, surreal::Object{{"balance", seen_first - 10}}).get();
  first.commit().get();
  try {
    // The conflict surfaces at the write or at the commit, depending on the engine.
    second.merge(ann, surreal::Object{{"balance", seen_second - 20}}).get();
    second.commit().get();
    check(false, "a lost update committed");
  } catch (const surreal::TransactionConflictException&) {
    std::cout << "the second writer lost the conflict; nothing of it was committed\n";
  }
  check(balance(db, ann) == 60, "only the first writer's change is there");

  // 5. The pattern to copy: a transfer that retries on conflict.
  check(transfer(db, ann, bob, 25), "ann can send 25");
  check(!transfer(db, ann, bob, 1000), "ann cannot send 1000");
  check(balance(db, ann) == 35 && balance(db, bob) == 105, "35 and 105 after the transfer");
  std::cout << "ann: " << balance(db, ann) << ", bob: " << balance(db, bob) << '\n';
  db.close().get();
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "example_transactions: " << e.what() << '\n';
    return 1;
  }
}

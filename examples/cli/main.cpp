// surreal-cli: the surrealcpp example program.
//   surreal-cli                  the scenario menu
//   surreal-cli sql [options]    a SurrealQL shell
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "menu.hpp"
#include "shell.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "surreal-cli: SurrealDB embedded in C++.\n"
      "Without a command it shows a menu of demonstration scenarios (connect and verify,\n"
      "CRUD, storage backend comparison), read one choice per line from standard input.",
      "surreal-cli"};
  app.require_subcommand(0, 1);

  surreal::cli::ShellOptions options;
  CLI::App* sql = app.add_subcommand(
      "sql",
      "Open a SurrealQL shell. Statements end with ';' and may span lines; results print in\n"
      "SurrealQL notation (as `surreal sql` does), or as JSON with --json, with their execution\n"
      "time. On a terminal it has line editing and history; on a\n"
      "pipe it reads plain lines, so scripts can feed it. Leave with exit, quit or Ctrl-D.");
  sql->add_option("--endpoint", options.endpoint,
                  "mem://, rocksdb://<path>, surrealkv://<path>, or a server: ws://, wss://, "
                  "http:// or https://<host:port>")
      ->capture_default_str();
  std::string user, pass;
  CLI::Option* user_option = sql->add_option("--user", user, "root user to sign in as (servers)");
  sql->add_option("--pass", pass, "its password")->needs(user_option);
  sql->add_option("--ns", options.ns, "namespace")->capture_default_str();
  sql->add_option("--db", options.db, "database")->capture_default_str();
  sql->add_flag("--json", options.json,
                "print results as JSON (loses kinds JSON lacks: record ids, datetimes... become text)");

  CLI11_PARSE(app, argc, argv);

  if (sql->parsed()) {
    if (!user.empty()) options.root = surreal::auth::Root{user, pass};
    const bool terminal = isatty(STDIN_FILENO) != 0;
    auto reader =
        terminal ? surreal::cli::terminal_reader() : surreal::cli::stream_reader(std::cin);
    return surreal::cli::run_shell(options, *reader, std::cout, std::cerr);
  }
  return surreal::cli::run_menu(std::cin, std::cout);
}

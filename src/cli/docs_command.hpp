// Shell completion and man pages, written from the same CLI11 definitions that parse the
// command line, so neither can drift from `--help`: `barco completion bash|zsh|fish` and
// (for the build) `barco man-pages DIR`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace barco::cli {

// One option or positional argument, as --help shows it.
struct OptionDoc {
  std::vector<std::string> names;  // "-v", "--verbose"; empty for a positional
  std::string positional;          // "id", "ids", "args"; empty for an option
  std::string value;               // "TEXT", "INT", ...; empty for a flag
  std::string help;
  std::string default_value;
  std::string env;
  std::string group;  // the option group's title ("Container", "Security"); empty for none
};

// A command: barco itself or one of its subcommands (lab has its own).
struct CommandDoc {
  std::string name;
  std::string help;
  std::vector<OptionDoc> options;
  std::vector<CommandDoc> subcommands;
};

// The documentation model of an App whose subcommands all have their options defined.
// Hidden subcommands (an empty group) are left out.
[[nodiscard]] CommandDoc describe(const CLI::App& app);

[[nodiscard]] std::string bash_completion(const CommandDoc& barco);
[[nodiscard]] std::string zsh_completion(const CommandDoc& barco);
[[nodiscard]] std::string fish_completion(const CommandDoc& barco);

// An example from the README: the command line and its comment.
struct Example {
  std::string command;
  std::string comment;
};

// The lines of the README's "## Examples" block that run barco.
[[nodiscard]] std::vector<Example> readme_examples(const std::string& readme);

// barco.1 (sub == nullptr) or barco-SUB.1, in man(7) roff. Examples: those that use the
// command (all of them for barco.1).
[[nodiscard]] std::string man_page(const CommandDoc& barco, const CommandDoc* sub, const std::string& version,
                                   const std::vector<Example>& examples);

struct DocsFlags {
  std::string shell;
  std::string dir;
  std::string readme;
};
void add_completion_flags(CLI::App& app, DocsFlags& f);
void add_man_pages_flags(CLI::App& app, DocsFlags& f);
[[nodiscard]] int run_completion(const DocsFlags& f, const CLI::App& barco);
[[nodiscard]] int run_man_pages(const DocsFlags& f, const CLI::App& barco, const std::string& version);

}  // namespace barco::cli

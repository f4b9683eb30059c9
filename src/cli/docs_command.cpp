// Completion scripts and man pages from the CLI11 definitions. Each generator walks the same
// CommandDoc model; the model is read from the App that parses real command lines.
#include "cli/docs_command.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

namespace barco::cli {

namespace {

OptionDoc describe_option(const CLI::Option& o) {
  OptionDoc d;
  if (o.nonpositional()) {
    for (const auto& s : o.get_snames()) {
      d.names.push_back("-" + s);
    }
    for (const auto& l : o.get_lnames()) {
      d.names.push_back("--" + l);
    }
  } else {
    d.positional = o.get_name(true);
  }
  if (o.get_type_size() > 0) {
    d.value = o.get_type_name();
  }
  d.help = o.get_description();
  d.default_value = o.get_default_str();
  d.env = o.get_envname();
  return d;
}

bool takes_value(const OptionDoc& o) {
  return !o.names.empty() && !o.value.empty();
}
bool is_flag_or_option(const OptionDoc& o) {
  return !o.names.empty();
}
// The positionals that name containers: completed from `barco list -q`.
bool names_containers(const OptionDoc& o) {
  return o.positional == "id" || o.positional == "ids" || o.positional == "args";
}

std::string joined_names(const std::vector<OptionDoc>& options, bool (*keep)(const OptionDoc&)) {
  std::string out;
  for (const auto& o : options) {
    if (!keep(o)) {
      continue;
    }
    for (const auto& n : o.names) {
      out += (out.empty() ? "" : " ") + n;
    }
  }
  return out;
}

std::string subcommand_names(const CommandDoc& c) {
  std::string out;
  for (const auto& s : c.subcommands) {
    out += (out.empty() ? "" : " ") + s.name;
  }
  return out;
}

bool completes_ids(const CommandDoc& c) {
  return std::any_of(c.options.begin(), c.options.end(), names_containers);
}

// Single-quoted for sh, bash, zsh and fish alike ('\'' closes, escapes and reopens).
std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string fish_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

// Text inside an _arguments [description] or a _describe "name:description" item.
std::string zsh_description(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '[' || c == ']' || c == '\\' || c == ':') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

void bash_command_case(std::ostringstream& out, const std::string& key, const CommandDoc& c) {
  const std::string subs = subcommand_names(c);
  out << "        " << shell_quoted(key) << ")\n"
      << "            flags=" << shell_quoted(joined_names(c.options, is_flag_or_option))
      << "\n            valued=" << shell_quoted(joined_names(c.options, takes_value)) << "\n";
  if (!subs.empty()) {
    out << "            subs=" << shell_quoted(subs) << "\n";
  }
  if (completes_ids(c)) {
    out << "            ids=1\n";
  }
  out << "            ;;\n";
}

std::string zsh_option_specs(const std::vector<OptionDoc>& options, const std::string& indent) {
  std::string out;
  for (const auto& o : options) {
    for (const auto& n : o.names) {
      // '*': every option may be repeated (volumes, env, devices); zsh then keeps offering it.
      std::string spec = "*" + n;
      if (takes_value(o) && n.rfind("--", 0) == 0) {
        spec += "=";
      }
      spec += "[" + zsh_description(o.help) + "]";
      if (takes_value(o)) {
        spec += ":" + zsh_description(o.value) + ":_files";
      }
      out += indent + shell_quoted(spec) + " \\\n";
    }
  }
  return out;
}

std::string zsh_positional_specs(const CommandDoc& c) {
  for (const auto& o : c.options) {
    if (o.positional == "ids") {
      return "'*:container id:_barco_ids'";
    }
    if (names_containers(o)) {
      return "'1:container id:_barco_ids' '*:argument:_files'";
    }
  }
  return "'*:argument:_files'";
}

void fish_options(std::ostringstream& out, const std::string& condition, const std::vector<OptionDoc>& options) {
  for (const auto& o : options) {
    if (o.names.empty()) {
      continue;
    }
    out << "complete -c barco -n " << fish_quoted(condition);
    for (const auto& n : o.names) {
      out << (n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1));
    }
    if (takes_value(o)) {
      out << " -r -F";
    }
    out << " -d " << fish_quoted(o.help) << "\n";
  }
}

// man(7): a backslash is \e, a hyphen that must stay a hyphen (options, commands) is \-,
// and a line must not start with a control character.
std::string roff(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c == '\n') {
      out += "\n.br\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) {
    out.insert(0, "\\&");
  }
  return out;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// The subcommands an example line runs: the first word that is not a flag after each
// "barco " ("barco --verbose run ..." runs run).
std::vector<std::string> verbs_of(const std::string& line) {
  std::vector<std::string> verbs;
  for (auto at = line.find("barco "); at != std::string::npos; at = line.find("barco ", at + 1)) {
    std::istringstream words(line.substr(at + 6));
    std::string word;
    while (words >> word && word.front() == '-') {
    }
    if (!word.empty() && word.front() != '-') {
      verbs.push_back(word.substr(0, word.find_first_of(";&|")));
    }
  }
  return verbs;
}

// The words after the options that are not CLI11 positionals: the container's command.
std::string command_tail(const std::string& name) {
  if (name == "run") {
    return R"( [\fB\-\-\fR] \fICOMMAND\fR [\fIARG\fR...])";
  }
  if (name == "exec") {
    return R"( \fICOMMAND\fR [\fIARG\fR...])";
  }
  if (name == "ps") {
    return R"( [\fIPS\-OPTION\fR...])";
  }
  return "";
}

void man_options(std::ostringstream& out, const std::vector<OptionDoc>& options) {
  std::string group;
  for (const auto& o : options) {
    if (o.names.empty()) {
      continue;
    }
    if (o.group != group) {
      group = o.group;
      out << ".SS " << roff(group) << "\n";
    }
    out << ".TP\n";
    std::string line;
    for (const auto& n : o.names) {
      line += (line.empty() ? "" : ", ") + std::string("\\fB") + roff(n) + "\\fR";
    }
    if (!o.value.empty()) {
      line += " \\fI" + roff(o.value) + "\\fR";
    }
    out << line << "\n" << roff(o.help) << "\n";
    if (!o.default_value.empty()) {
      out << "Default: " << roff(o.default_value) << ".\n";
    }
    if (!o.env.empty()) {
      out << "Environment: \\fB" << roff(o.env) << "\\fR.\n";
    }
  }
}

std::string synopsis_positionals(const CommandDoc& c) {
  std::string out;
  for (const auto& o : c.options) {
    if (o.positional == "id") {
      out += " \\fIID\\fR";
    } else if (o.positional == "ids") {
      out += " \\fIID\\fR...";
    } else if (o.positional == "args") {
      out += R"( \fIID\fR [\fISIGNAL\fR])";
    } else if (!o.positional.empty()) {
      out += " \\fI" + roff(upper(o.positional)) + "\\fR";
    }
  }
  return out + command_tail(c.name);
}

void man_examples(std::ostringstream& out, const std::vector<Example>& examples) {
  if (examples.empty()) {
    return;
  }
  out << ".SH EXAMPLES\n";
  for (const auto& e : examples) {
    out << ".PP\n\\fB" << roff(e.command) << "\\fR\n";
    if (!e.comment.empty()) {
      out << ".RS\n" << roff(e.comment) << "\n.RE\n";
    }
  }
}

void man_barco_sections(std::ostringstream& out, const CommandDoc& barco) {
  out << ".SH SYNOPSIS\n\\fBbarco\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARG\\fR...]\n"
      << ".SH DESCRIPTION\n"
      << "barco runs a command in a container: its own pid, mount, UTS, IPC, network and cgroup "
         "namespaces, a root filesystem entered with pivot_root, docker's /proc, /dev and /sys "
         "mounts, 14 capabilities, a seccomp allow\\-list and a device allow\\-list. "
         "\\fB\\-\\-privileged\\fR turns those protections off the way docker does. "
         "\\fB\\-\\-dry\\-run\\fR prints every kernel operation in order with its reason. "
         "barco also speaks runc's OCI command line, so docker, containerd and podman can drive it.\n"
      << ".SH GLOBAL OPTIONS\n";
  man_options(out, barco.options);
  out << ".SH COMMANDS\n";
  for (const auto& c : barco.subcommands) {
    out << ".TP\n\\fBbarco\\-" << roff(c.name) << "\\fR(1)\n" << roff(c.help) << "\n";
  }
  out << ".SH EXIT STATUS\n"
      << "The command's own status when it ran; 128+N when signal N killed it; 125 when barco "
         "failed before the command started; 126 when the command cannot be run; 127 when it "
         "is not found in the container's PATH. The OCI verbs (create, update, events, run "
         "\\-\\-bundle) fail with runc's 1, and exec with runc's 255 for a container they made or an "
         "unknown id.\n"
      << ".SH FILES\n.TP\n\\fI/run/barco\\fR\ncontainer records (\\fB\\-\\-root\\fR)\n"
      << ".TP\n\\fI/var/lib/barco\\fR\nwritable layers and logs of run \\-d and \\-\\-overlay "
         "(\\fB\\-\\-data\\-root\\fR)\n"
      << ".TP\n\\fI/usr/share/barco/profiles\\fR\nthe default seccomp profile, as JSON (it is also "
         "built into barco)\n";
}

}  // namespace

CommandDoc describe(const CLI::App& app) {
  CommandDoc doc{app.get_name(), app.get_description(), {}, {}};
  for (const CLI::Option* o : app.get_options()) {
    doc.options.push_back(describe_option(*o));
  }
  // CLI11 keeps an option group as a nameless subcommand; its title heads its options.
  for (const CLI::App* group : app.get_subcommands([](const CLI::App* s) { return s->get_name().empty(); })) {
    for (const CLI::Option* o : group->get_options()) {
      if (o != group->get_help_ptr()) {  // a group has its own, never shown
        doc.options.push_back(describe_option(*o));
        doc.options.back().group = group->get_group();
      }
    }
  }
  const auto visible = [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); };
  for (const CLI::App* sub : app.get_subcommands(visible)) {
    doc.subcommands.push_back(describe(*sub));
  }
  return doc;
}

std::string bash_completion(const CommandDoc& barco) {
  const std::string commands = subcommand_names(barco);
  std::ostringstream out;
  out << "# bash completion for barco, written by `barco completion bash` from barco's own\n"
         "# command-line definitions.\n"
         "_barco_ids() {\n"
         "    barco ${1:+--root \"$1\"} list -q 2>/dev/null\n"
         "}\n\n"
         "_barco() {\n"
         "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "    local i word cmd='' root='' flags valued subs='' ids=''\n"
         "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "        word=${COMP_WORDS[i]}\n"
         "        if [[ -n $cmd ]]; then\n"
         "            [[ \" $subs \" == *\" $word \"* ]] && cmd=\"$cmd $word\"\n"
         "            break\n"
         "        fi\n"
         "        case $word in\n"
         "            --root) root=${COMP_WORDS[i + 1]}; ((i++)) ;;\n"
         "            -*) [[ \" "
      << joined_names(barco.options, takes_value)
      << " \" == *\" $word \"* ]] && ((i++)) ;;\n"
         "            *)\n"
         "                cmd=$word\n"
         "                case $cmd in\n";
  for (const auto& c : barco.subcommands) {
    if (!c.subcommands.empty()) {
      out << "                    " << shell_quoted(c.name) << ") subs=" << shell_quoted(subcommand_names(c))
          << " ;;\n";
    }
  }
  out << "                esac\n"
         "                ;;\n"
         "        esac\n"
         "    done\n"
         "    subs=''\n"
         "    case $cmd in\n";
  bash_command_case(out, "", barco);
  for (const auto& c : barco.subcommands) {
    bash_command_case(out, c.name, c);
    for (const auto& s : c.subcommands) {
      bash_command_case(out, c.name + " " + s.name, s);
    }
  }
  out << "    esac\n"
         "    if [[ \" $valued \" == *\" $prev \"* ]]; then\n"
         "        compopt -o default 2>/dev/null\n"
         "        COMPREPLY=()\n"
         "    elif [[ $cur == -* ]]; then\n"
         "        mapfile -t COMPREPLY < <(compgen -W \"$flags\" -- \"$cur\")\n"
         "    elif [[ -z $cmd ]]; then\n"
         "        mapfile -t COMPREPLY < <(compgen -W "
      << shell_quoted(commands)
      << " -- \"$cur\")\n"
         "    elif [[ -n $subs ]]; then\n"
         "        mapfile -t COMPREPLY < <(compgen -W \"$subs\" -- \"$cur\")\n"
         "    elif [[ -n $ids ]]; then\n"
         "        mapfile -t COMPREPLY < <(compgen -W \"$(_barco_ids \"$root\")\" -- \"$cur\")\n"
         "    else\n"
         "        compopt -o default 2>/dev/null\n"
         "        COMPREPLY=()\n"
         "    fi\n"
         "}\n"
         "complete -F _barco barco\n";
  return out.str();
}

std::string zsh_completion(const CommandDoc& barco) {
  std::ostringstream out;
  out << "#compdef barco\n"
         "# zsh completion for barco, written by `barco completion zsh` from barco's own\n"
         "# command-line definitions.\n"
         "_barco_ids() {\n"
         "    local -a ids\n"
         "    ids=(${(f)\"$(barco list -q 2>/dev/null)\"})\n"
         "    compadd -a ids\n"
         "}\n\n"
         "_barco() {\n"
         "    local curcontext=$curcontext state line\n"
         "    typeset -A opt_args\n"
         "    _arguments -C \\\n"
      << zsh_option_specs(barco.options, "        ")
      << "        '1:command:->command' \\\n"
         "        '*::argument:->argument'\n"
         "    case $state in\n"
         "    command)\n"
         "        local -a commands\n"
         "        commands=(\n";
  for (const auto& c : barco.subcommands) {
    out << "            " << shell_quoted(zsh_description(c.name) + ":" + zsh_description(c.help)) << "\n";
  }
  out << "        )\n"
         "        _describe -t commands 'barco command' commands\n"
         "        ;;\n"
         "    argument)\n"
         "        case $words[1] in\n";
  for (const auto& c : barco.subcommands) {
    out << "        " << shell_quoted(c.name) << ")\n";
    if (!c.subcommands.empty()) {
      const auto& s = c.subcommands.front();
      out << "            if (( CURRENT == 2 )); then compadd " << shell_quoted(s.name) << "; return; fi\n"
          << "            _arguments \\\n"
          << zsh_option_specs(s.options, "                ") << "                " << zsh_positional_specs(s)
          << "\n            ;;\n";
      continue;
    }
    out << "            _arguments \\\n"
        << zsh_option_specs(c.options, "                ") << "                " << zsh_positional_specs(c)
        << "\n            ;;\n";
  }
  out << "        esac\n"
         "        ;;\n"
         "    esac\n"
         "}\n\n"
         "_barco \"$@\"\n";
  return out.str();
}

std::string fish_completion(const CommandDoc& barco) {
  const std::string commands = subcommand_names(barco);
  std::ostringstream out;
  out << "# fish completion for barco, written by `barco completion fish` from barco's own\n"
         "# command-line definitions.\n"
         "function __barco_ids\n"
         "    barco list -q 2>/dev/null\n"
         "end\n"
         "complete -c barco -f\n";
  const std::string no_command = "not __fish_seen_subcommand_from " + commands;
  fish_options(out, no_command, barco.options);
  for (const auto& c : barco.subcommands) {
    out << "complete -c barco -n " << fish_quoted(no_command) << " -a " << fish_quoted(c.name) << " -d "
        << fish_quoted(c.help) << "\n";
  }
  for (const auto& c : barco.subcommands) {
    const std::string in_command = "__fish_seen_subcommand_from " + c.name;
    fish_options(out, in_command, c.options);
    for (const auto& s : c.subcommands) {
      out << "complete -c barco -n " << fish_quoted(in_command) << " -a " << fish_quoted(s.name) << " -d "
          << fish_quoted(s.help) << "\n";
      fish_options(out, in_command + "; and __fish_seen_subcommand_from " + s.name, s.options);
    }
    if (completes_ids(c)) {
      out << "complete -c barco -n " << fish_quoted(in_command) << " -a '(__barco_ids)'\n";
    } else if (c.name == "run") {
      out << "complete -c barco -n " << fish_quoted(in_command) << " -F\n";
    }
  }
  return out.str();
}

std::vector<Example> readme_examples(const std::string& readme) {
  std::vector<Example> examples;
  std::istringstream lines(readme);
  std::string line;
  bool in_section = false;
  bool in_block = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line == "## Examples";
      continue;
    }
    if (!in_section) {
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      if (in_block) {
        break;
      }
      in_block = true;
      continue;
    }
    const auto hash = line.find("  #");
    const std::string command = trimmed(std::string_view(line).substr(0, hash));
    if (in_block && command.find("barco") != std::string::npos) {
      examples.push_back({command, hash == std::string::npos ? "" : trimmed(std::string_view(line).substr(hash + 3))});
    }
  }
  return examples;
}

std::string man_page(const CommandDoc& barco, const CommandDoc* sub, const std::string& version,
                     const std::vector<Example>& examples) {
  const std::string name = sub == nullptr ? "barco" : "barco-" + sub->name;
  std::ostringstream out;
  out << ".\\\" Written by `barco man-pages` from barco's command-line definitions and the README's examples.\n"
      << ".TH \"" << upper(name) << R"(" "1" "" "barco )" << roff(version) << "\" \"barco manual\"\n"
      << ".SH NAME\n"
      << roff(name) << " \\- " << roff(sub == nullptr ? barco.help : sub->help) << "\n";
  std::vector<Example> own;
  if (sub == nullptr) {
    man_barco_sections(out, barco);
    own = examples;
  } else {
    out << ".SH SYNOPSIS\n\\fBbarco\\fR [\\fIGLOBAL OPTIONS\\fR] \\fB" << roff(sub->name) << "\\fR"
        << (sub->subcommands.empty() ? "" : " \\fISUBCOMMAND\\fR") << " [\\fIOPTIONS\\fR]" << synopsis_positionals(*sub)
        << "\n.SH DESCRIPTION\n"
        << roff(sub->help) << "\n.SH OPTIONS\n";
    man_options(out, sub->options);
    for (const auto& s : sub->subcommands) {
      out << ".SH " << upper(roff(sub->name + " " + s.name)) << "\n" << roff(s.help) << "\n";
      man_options(out, s.options);
    }
    std::copy_if(examples.begin(), examples.end(), std::back_inserter(own), [&](const Example& e) {
      const auto verbs = verbs_of(e.command);
      return std::find(verbs.begin(), verbs.end(), sub->name) != verbs.end();
    });
  }
  man_examples(out, own);
  out << ".SH SEE ALSO\n";
  if (sub == nullptr) {
    out << "\\fBrunc\\fR(8), \\fBcrun\\fR(1), \\fBpodman\\fR(1)\n";
  } else {
    out << "\\fBbarco\\fR(1)\n";
  }
  return out.str();
}

void add_completion_flags(CLI::App& app, DocsFlags& f) {
  app.add_option("shell", f.shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
}

void add_man_pages_flags(CLI::App& app, DocsFlags& f) {
  app.add_option("dir", f.dir, "Directory to write barco.1 and barco-COMMAND.1 into")->required();
  app.add_option("--readme", f.readme, "README whose \"## Examples\" block gives the pages their examples");
}

int run_completion(const DocsFlags& f, const CLI::App& barco) {
  const auto doc = describe(barco);
  const std::string script =
      f.shell == "bash" ? bash_completion(doc) : (f.shell == "zsh" ? zsh_completion(doc) : fish_completion(doc));
  std::fputs(script.c_str(), stdout);
  return 0;
}

int run_man_pages(const DocsFlags& f, const CLI::App& barco, const std::string& version) {
  std::vector<Example> examples;
  if (!f.readme.empty()) {
    std::ifstream in(f.readme);
    if (!in) {
      std::fprintf(stderr, "barco man-pages: cannot read the README %s — hint: pass the source tree's README.md\n",
                   f.readme.c_str());
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    examples = readme_examples(text.str());
  }
  if (::mkdir(f.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::perror(("barco man-pages: mkdir " + f.dir).c_str());
    return 1;
  }
  const auto doc = describe(barco);
  std::vector<std::pair<std::string, std::string>> pages = {{"barco.1", man_page(doc, nullptr, version, examples)}};
  for (const auto& c : doc.subcommands) {
    pages.emplace_back("barco-" + c.name + ".1", man_page(doc, &c, version, examples));
  }
  for (const auto& [file, text] : pages) {
    std::ofstream out(f.dir + "/" + file, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::fprintf(stderr, "barco man-pages: cannot write %s/%s\n", f.dir.c_str(), file.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace barco::cli

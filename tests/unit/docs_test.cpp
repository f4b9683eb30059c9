// Completion scripts and man pages are generated from CLI11 definitions: every command,
// flag and container-id argument must reach them, escaped for the format it lands in.
#include "cli/docs_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using barco::cli::CommandDoc;

// A small barco: a global valued option, a command with a flag, valued options and an
// option group, one that takes ids, a nested subcommand and a hidden one.
struct SmallCli {
  CLI::App app{"barco: test"};
  std::string root, rootfs, volume, shell;
  std::vector<std::string> ids;
  bool detach = false;
  bool privileged = false;
  SmallCli() {
    app.add_option("--root", root, "Directory for records");
    auto* run = app.add_subcommand("run", "Run a command in a new container");
    run->add_option("--rootfs", rootfs, "The root [filesystem] it's \\ in");
    run->add_option("-v,--volume", volume, "HOST:CONTAINER[:ro]");
    run->add_flag("-d,--detach", detach, "Run in the background");
    run->add_option_group("Security")->add_flag("--privileged", privileged, "All capabilities");
    auto* rm = app.add_subcommand("rm", "Remove containers");
    rm->add_option("ids", ids, "Container ids")->required();
    auto* lab = app.add_subcommand("lab", "Security lab exercises");
    lab->add_subcommand("compare", "Side by side")->add_option("--rootfs", rootfs, ".dotted help");
    app.add_subcommand("man-pages", "hidden")->group("");
  }
};

TEST(Docs, DescribeReadsEveryVisibleCommandAndOption) {
  SmallCli cli;
  const CommandDoc doc = barco::cli::describe(cli.app);
  ASSERT_EQ(doc.subcommands.size(), 3U);  // the hidden one is left out
  EXPECT_EQ(doc.subcommands[0].name, "run");
  const auto& run = doc.subcommands[0].options;
  const auto rootfs = std::find_if(run.begin(), run.end(),
                                   [](const auto& o) { return !o.names.empty() && o.names.back() == "--rootfs"; });
  ASSERT_NE(rootfs, run.end());
  EXPECT_FALSE(rootfs->value.empty());
  const auto detach = std::find_if(run.begin(), run.end(),
                                   [](const auto& o) { return !o.names.empty() && o.names.back() == "--detach"; });
  ASSERT_NE(detach, run.end());
  EXPECT_EQ(detach->names, (std::vector<std::string>{"-d", "--detach"}));
  EXPECT_TRUE(detach->value.empty()) << "a flag takes no value";
  EXPECT_EQ(run.back().names.back(), "--privileged") << "an option group's options are the command's";
  EXPECT_EQ(run.back().group, "Security");
  EXPECT_EQ(doc.subcommands[1].options.back().positional, "ids");
  ASSERT_EQ(doc.subcommands[2].subcommands.size(), 1U);
  EXPECT_EQ(doc.subcommands[2].subcommands[0].name, "compare");
}

TEST(Docs, BashCompletionKnowsCommandsFlagsValuesAndIds) {
  SmallCli cli;
  const auto bash = barco::cli::bash_completion(barco::cli::describe(cli.app));
  EXPECT_NE(bash.find("compgen -W 'run rm lab'"), std::string::npos) << bash;
  EXPECT_EQ(bash.find("man-pages"), std::string::npos);
  EXPECT_NE(bash.find("'run')\n            flags='-h --help --rootfs -v --volume -d --detach --privileged'\n"
                      "            valued='--rootfs -v --volume'\n"),
            std::string::npos)
      << bash;
  EXPECT_NE(bash.find("'rm')\n            flags='-h --help'\n            valued=''\n            ids=1\n"),
            std::string::npos)
      << bash;
  EXPECT_NE(bash.find("'lab') subs='compare'"), std::string::npos);
  EXPECT_NE(bash.find("'lab compare')"), std::string::npos);
  EXPECT_NE(bash.find("complete -F _barco barco"), std::string::npos);
}

TEST(Docs, ZshAndFishEscapeTheirQuotesAndBrackets) {
  SmallCli cli;
  const auto doc = barco::cli::describe(cli.app);
  const auto zsh = barco::cli::zsh_completion(doc);
  EXPECT_EQ(zsh.rfind("#compdef barco\n", 0), 0U);
  // [ ] and \ escaped inside the description, ' closed and reopened for the shell.
  EXPECT_NE(zsh.find("'*--rootfs=[The root \\[filesystem\\] it'\\''s \\\\ in]:TEXT:_files'"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find("'*:container id:_barco_ids'"), std::string::npos);
  EXPECT_NE(zsh.find("'run:Run a command in a new container'"), std::string::npos);
  const auto fish = barco::cli::fish_completion(doc);
  EXPECT_NE(fish.find("-l rootfs -r -F -d 'The root [filesystem] it\\'s \\\\ in'"), std::string::npos) << fish;
  EXPECT_NE(fish.find("-s d -l detach -d 'Run in the background'"), std::string::npos);
  EXPECT_NE(fish.find("complete -c barco -n '__fish_seen_subcommand_from rm' -a '(__barco_ids)'"), std::string::npos);
}

TEST(Docs, ReadmeExamplesAreTheBarcoLinesOfTheExamplesBlock) {
  const std::string readme =
      "# barco\n```\nbarco run x\n```\n## Examples\n\nText.\n```\n"
      "barco run --rootfs R sh                        # a shell\n"
      "\n"
      "barco ps -a; barco logs -f web\n"
      "podman --runtime $(command -v barco) run IMAGE   # podman\n"
      "ls -l\n"
      "```\n## Exit status\n```\nbarco rm x\n```\n";
  const auto examples = barco::cli::readme_examples(readme);
  ASSERT_EQ(examples.size(), 3U);
  EXPECT_EQ(examples[0].command, "barco run --rootfs R sh");
  EXPECT_EQ(examples[0].comment, "a shell");
  EXPECT_EQ(examples[1].command, "barco ps -a; barco logs -f web");
  EXPECT_EQ(examples[1].comment, "");
  EXPECT_EQ(examples[2].comment, "podman");
}

TEST(Docs, ManPagesEscapeRoffAndCarryTheirCommandsExamples) {
  SmallCli cli;
  const auto doc = barco::cli::describe(cli.app);
  const std::vector<barco::cli::Example> examples = {{"barco --verbose run --rootfs R sh", "logs every step"},
                                                     {"barco ps -a; barco rm web", ""}};
  const auto barco_1 = barco::cli::man_page(doc, nullptr, "1.2.3", examples);
  EXPECT_NE(barco_1.find(".TH \"BARCO\" \"1\" \"\" \"barco 1.2.3\""), std::string::npos);
  EXPECT_NE(barco_1.find("\\fBbarco\\-rm\\fR(1)\nRemove containers\n"), std::string::npos) << barco_1;
  EXPECT_NE(barco_1.find("\\fBbarco \\-\\-verbose run \\-\\-rootfs R sh\\fR"), std::string::npos);
  EXPECT_NE(barco_1.find("\\fBbarco ps \\-a; barco rm web\\fR"), std::string::npos);

  const auto run_1 = barco::cli::man_page(doc, &doc.subcommands[0], "1.2.3", examples);
  EXPECT_NE(run_1.find("barco\\-run \\- Run a command in a new container"), std::string::npos);
  EXPECT_NE(run_1.find("\\fB\\-\\-rootfs\\fR \\fITEXT\\fR\nThe root [filesystem] it's \\e in\n"), std::string::npos)
      << run_1;
  EXPECT_NE(run_1.find("\\fB\\-d\\fR, \\fB\\-\\-detach\\fR\nRun in the background"), std::string::npos);
  EXPECT_NE(run_1.find(".SS Security\n.TP\n\\fB\\-\\-privileged\\fR\nAll capabilities"), std::string::npos);
  EXPECT_NE(run_1.find("logs every step"), std::string::npos) << "run's example is on its page";
  EXPECT_EQ(run_1.find("barco rm web"), std::string::npos) << "rm's example is not";

  const auto rm_1 = barco::cli::man_page(doc, &doc.subcommands[1], "1.2.3", examples);
  EXPECT_NE(rm_1.find("\\fBrm\\fR [\\fIOPTIONS\\fR] \\fIID\\fR..."), std::string::npos) << rm_1;
  EXPECT_NE(rm_1.find("barco rm web"), std::string::npos);

  // A help text starting with a dot would be a roff request.
  const auto lab_1 = barco::cli::man_page(doc, &doc.subcommands[2], "1.2.3", examples);
  EXPECT_NE(lab_1.find(".SH LAB COMPARE\n"), std::string::npos) << lab_1;
  EXPECT_NE(lab_1.find("\n\\&.dotted help\n"), std::string::npos) << lab_1;
}

}  // namespace

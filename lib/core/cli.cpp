#include "core/cli.hpp"

#include "core/credentials.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"

#include <cctype>
#include <cstdlib>
#include <iostream>
#include <regex>

namespace dce::cli {
namespace {

std::string exit_footer() {
    std::string s = "Exit status:\n";
    for (const auto& e : exit_code_table)
        s += "  " + std::to_string(e.code) + "  " + e.meaning + "\n";
    return s;
}

Json describe_option(const CLI::Option* opt) {
    Json o = Json::object();
    Json names = Json::array();
    for (const auto& s : opt->get_snames())
        names.push_back("-" + s);
    for (const auto& l : opt->get_lnames())
        names.push_back("--" + l);
    o["names"] = names;
    o["positional"] = opt->get_positional() && names.empty();
    if (o["positional"].get<bool>()) o["name"] = opt->get_name(true, false);
    o["description"] = opt->get_description();
    std::string type = opt->get_type_name();
    o["takes_value"] = opt->get_items_expected_max() > 0;
    o["repeatable"] = (opt->get_items_expected_max() > 1 && opt->get_items_expected_max() > 0) ||
                      opt->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    o["required"] = opt->get_required();
    // Choices come from IsMember/IsMember-like validators, shown as "{a,b,c}".
    Json choices = Json::array();
    std::smatch m;
    static const std::regex set_re(R"(\{([^{}]*)\})");
    if (std::regex_search(type, m, set_re)) {
        std::string inner = m[1];
        std::size_t pos = 0;
        while (pos <= inner.size()) {
            auto comma = inner.find(',', pos);
            auto item =
                inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (!item.empty()) choices.push_back(item);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
        type = std::regex_replace(type, std::regex(R"(:?\{[^{}]*\})"), "");
    }
    o["value_name"] = type;
    o["choices"] = choices;
    o["default"] = opt->get_default_str();
    std::string envname = opt->get_envname();
    if (!envname.empty()) o["env"] = envname;
    return o;
}

Json describe_app(const CLI::App& app) {
    Json a = Json::object();
    a["name"] = app.get_name();
    a["description"] = app.get_description();
    Json opts = Json::array();
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_group().empty()) continue;  // hidden
        opts.push_back(describe_option(opt));
    }
    a["options"] = opts;
    Json subs = Json::array();
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_group().empty()) continue;
        subs.push_back(describe_app(*sub));
    }
    a["subcommands"] = subs;
    return a;
}

}  // namespace

std::unique_ptr<CLI::App> make_app(const ToolDoc& doc, CommonOptions& common) {
    auto app = std::make_unique<CLI::App>(std::string(doc.summary), std::string(doc.name));
    app->set_version_flag("-V,--version", std::string(doc.name) + " " DCE_VERSION " (dce-tools)",
                          "Print the version and exit");
    app->set_help_flag("-h,--help", "Print this help and exit");
    app->add_option("--log-level", common.log_level, "Least severe log message to show on stderr")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    app->add_option("--log-format", common.log_format,
                    "Log line format on stderr; journal: to the systemd journal with fields "
                    "SYSLOG_IDENTIFIER, DCE_DEVICE, DCE_CHECK (chosen by itself when stderr is "
                    "the journal)")
        ->check(CLI::IsMember({"text", "json", "journal"}))
        ->capture_default_str();
    app->footer(exit_footer());
    return app;
}

CLI::Option* add_credentials_option(CLI::App& app, CommonOptions& common) {
    return app
        .add_option("--credentials", common.credentials_path,
                    "Credentials file: plaintext (mode 0600 or stricter) or FILE.cred made by "
                    "`systemd-creds encrypt` (decrypted with systemd-creds decrypt). Default, "
                    "first found: $CREDENTIALS_DIRECTORY/dce-credentials, $DCE_CREDENTIALS, "
                    "~/.config/dce/credentials. Secrets are never taken from the command line")
        ->type_name("FILE");
}

CLI::Option* add_targets(CLI::App& app, std::vector<std::string>& targets, std::string help) {
    return app.add_option("targets", targets, std::move(help))->type_name("TARGET");
}

std::string format_duration_ms(std::int64_t ms) {
    if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text, std::string& error) {
    const std::string shown(text);
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.back()))) {
        error = "'" + shown + "' has no unit: write " + shown + "ms or " + shown + "s";
        return std::nullopt;
    }
    auto d = parse_duration(text);
    if (!d || d->count() <= 0) {
        error = "'" + shown + "' is not a duration such as 500ms or 2s";
        return std::nullopt;
    }
    if (*d > std::chrono::minutes(10)) {
        error = "'" + shown + "' is more than the 10m a timeout may be";
        return std::nullopt;
    }
    return d;
}

CLI::Option* add_timeout_option(CLI::App& app, int& timeout_ms, std::string help) {
    return app
        .add_option_function<std::string>(
            "--timeout",
            [&timeout_ms](const std::string& v) {
                std::string error;
                auto d = parse_timeout(v, error);
                if (!d) throw CLI::ValidationError("--timeout", error);
                timeout_ms = static_cast<int>(d->count());
            },
            help + " (a unit is required: 500ms, 2s, 1m)")
        ->type_name("DURATION")
        ->default_str(format_duration_ms(timeout_ms));
}

CLI::Option* add_retries_option(CLI::App& app, int& retries) {
    return app.add_option("--retries", retries, "Resends after a timeout, per request")
        ->check(CLI::Range(0, 10))
        ->capture_default_str();
}

CLI::Option* add_rate_option(CLI::App& app, double& rate, std::string help) {
    return app.add_option("--rate", rate, help + "; 0 lifts the limit")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
}

CLI::Option* add_concurrency_option(CLI::App& app, std::size_t& concurrency, std::string help) {
    return app.add_option("--concurrency", concurrency, std::move(help))
        ->check(CLI::Range(1, 65536))
        ->capture_default_str();
}

CLI::Option* add_repeatable_option(CLI::App& app, std::string name,
                                   std::vector<std::string>& values, std::string help) {
    // One value per occurrence: a vector option otherwise goes on taking arguments, so
    // `--profile-dir D 10.0.0.5` made the target a second directory.
    return app.add_option(std::move(name), values, help + " (repeatable: give it once per value)")
        ->allow_extra_args(false);
}

CLI::Option* add_profile_dir_option(CLI::App& app, std::vector<std::string>& dirs) {
    return add_repeatable_option(app, "--profile-dir", dirs,
                                 "More device-profile directories (later ones win)")
        ->type_name("DIR");
}

CLI::Option* add_site_option(CLI::App& app, std::string& site, std::string help) {
    return app.add_option("--site", site, std::move(help))->type_name("NAME");
}

CLI::Option* add_format_option(CLI::App& app, std::string& format, std::vector<std::string> choices,
                               std::string help) {
    auto* opt = app.add_option("--format", format, std::move(help))
                    ->check(CLI::IsMember(std::move(choices)));
    if (!format.empty()) opt->capture_default_str();
    return opt;
}

CLI::Option* add_metrics_file_option(CLI::App& app, std::string& path, std::string when) {
    return app
        .add_option("--metrics-file", path,
                    "Write this tool's own counters to PATH for node_exporter's textfile "
                    "collector (e.g. /var/lib/prometheus/node-exporter/NAME.prom), replaced "
                    "atomically " +
                        when)
        ->type_name("PATH");
}

const CLI::Option* repeated_single_option(const CLI::App& app) {
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_items_expected_max() == 1 && opt->count() > 1 &&
            opt->get_multi_option_policy() == CLI::MultiOptionPolicy::Throw)
            return opt;
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (const auto* opt = repeated_single_option(*sub)) return opt;
    return nullptr;
}

Json describe(const CLI::App& app, const ToolDoc& doc) {
    Json d = Json::object();
    d["tool"] = doc.name;
    d["version"] = DCE_VERSION;
    d["summary"] = doc.summary;
    d["description"] = doc.description;
    d["app"] = describe_app(app);
    auto list = [](const auto& v) {
        Json a = Json::array();
        for (const auto& x : v)
            a.push_back(x);
        return a;
    };
    d["reads"] = list(doc.reads);
    d["writes"] = list(doc.writes);
    Json ex = Json::array();
    for (const auto& e : doc.examples)
        ex.push_back({{"command", e.command}, {"explanation", e.explanation}});
    d["examples"] = ex;
    auto pairs = [](const auto& v) {
        Json a = Json::array();
        for (const auto& [k, t] : v)
            a.push_back({{"name", k}, {"text", t}});
        return a;
    };
    d["environment"] = pairs(doc.environment);
    d["files"] = pairs(doc.files);
    Json secs = Json::array();
    for (const auto& s : doc.sections)
        secs.push_back({{"title", s.title}, {"text", s.text}});
    d["sections"] = secs;
    d["see_also"] = list(doc.see_also);
    Json codes = Json::array();
    for (const auto& e : exit_code_table)
        codes.push_back({{"code", e.code}, {"meaning", e.meaning}});
    d["exit_codes"] = codes;
    // The OUTPUT section: the field tables of the record types this tool writes.
    Json records = Json::array();
    for (auto type : doc.writes) {
        const RecordSpec* spec = find_record_spec(type);
        if (!spec) continue;
        Json fields = Json::array();
        for (const auto& f : spec->fields)
            fields.push_back({{"name", f.name},
                              {"required", f.required},
                              {"help", f.help},
                              {"choices", f.choices}});
        records.push_back({{"type", spec->type}, {"help", spec->help}, {"fields", fields}});
    }
    d["records"] = records;
    return d;
}

int run_tool(CLI::App& app, const ToolDoc& doc, const CommonOptions& common, int argc, char** argv,
             const std::function<int(ToolContext&)>& body) {
    if (const char* d = std::getenv("DCE_CLI_DESCRIBE"); d && *d) {
        if (std::string_view(d) == "schemas") {
            Json all = Json::object();
            for (const auto& spec : record_specs())
                all[std::string(spec.type)] = record_schema(spec);
            std::cout << all.dump(2) << "\n";
        } else {
            std::cout << describe(app, doc).dump(2) << "\n";
        }
        return exit_ok;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        if (dynamic_cast<const CLI::ArgumentMismatch*>(&e))
            if (const auto* opt = repeated_single_option(app))
                message = opt->get_name() + " was given " + std::to_string(opt->count()) +
                          " times; it takes one value, give it once";
        std::cerr << doc.name << ": " << message << "\n"
                  << "Try '" << doc.name << " --help' for more information.\n";
        return exit_usage;
    }
    std::string error;
    if (!log::setup(doc.name, common.log_level, common.log_format, error)) {
        std::cerr << doc.name << ": " << error << "\n";
        return exit_usage;
    }
    install_stop_handlers();  // a closed pipe becomes EPIPE, reported once below
    int status;
    try {
        ToolContext ctx(doc.name, common.credentials_path);
        status = body(ctx);
    } catch (const OutputError& e) {
        // One status for a closed stdout in every tool: 3, as for any output failure,
        // but without a message when the reader just stopped reading (`| head`).
        if (e.closed_pipe())
            spdlog::debug("stdout was closed by its reader; stopped");
        else
            spdlog::error("{}", e.what());
        return exit_runtime;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return exit_runtime;
    }
    std::cout.flush();
    if (!std::cout) {
        spdlog::error("cannot write output");
        return exit_runtime;
    }
    // A signal ends the run as interrupted, also when it cut a read short and the body
    // then saw an unusable input (dce-discover reading its target list from stdin).
    if (interrupted()) return exit_interrupted;
    return status;
}

}  // namespace dce::cli

#pragma once
// What every tool's run_<tool>(ctx, options) gets from the edge, as mold passes its
// Context& (STYLE.md item 1): the input, the record output, the credentials (loaded
// once, here, for every tool), the logger and the stop flag. run_tool() builds it after
// the command line parsed; tests build one over pipes and a credentials text.

#include "core/credentials.hpp"
#include "core/jsonl.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dce {

class ToolContext {
  public:
    /// `credentials_path` empty: $DCE_CREDENTIALS or the default file, when it exists.
    explicit ToolContext(std::string_view tool, std::string credentials_path = {}, int input_fd = 0,
                         int output_fd = 1);

    std::string_view tool() const { return tool_; }
    /// Where records (or targets) come in: standard input unless a test says otherwise.
    int input_fd() const { return input_fd_; }
    /// A reader of records on input_fd() with the contract checks of every tool.
    RecordReader record_reader(RecordReaderOptions opts = {}) const {
        return RecordReader(input_fd_, opts);
    }
    /// Records out (stdout): one write per record; a closed pipe throws OutputError.
    RecordWriter& out() { return out_; }
    /// The descriptor out() writes to, for a tool that batches its own writes (dce-trapd
    /// writes events in blocks with write_all() rather than one write per record).
    int output_fd() const { return output_fd_; }
    spdlog::logger& log() const { return *log_; }
    /// True once SIGINT/SIGTERM arrived (or a test asked to stop).
    bool stop_requested() const { return stop_(); }
    void set_stop_check(std::function<bool()> stop) { stop_ = std::move(stop); }

    /// The credentials file named by --credentials (or the default) and the environment,
    /// loaded on first use and kept: tools that need no secret never open the file.
    /// nullptr with a message (naming the file and line, never a value) when unusable.
    const CredentialStore* credentials(std::string& error);
    /// The file credentials() reads, or empty when there is none.
    const std::string& credentials_path() const { return credentials_path_; }
    /// For tests and stdin: use this text instead of a file.
    bool load_credentials_text(std::string_view text, std::string& error);

  private:
    std::string tool_;
    std::string credentials_path_;
    int input_fd_;
    int output_fd_;
    RecordWriter out_;
    std::shared_ptr<spdlog::logger> log_;
    std::function<bool()> stop_;
    std::optional<CredentialStore> credentials_;
    std::string credentials_error_;
};

}  // namespace dce

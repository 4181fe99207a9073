#pragma once
// A tool's own counters for the people who run it: text exposition (the format
// node_exporter's textfile collector reads, and `promtool check metrics` accepts) with
// # HELP and # TYPE per family and a closing "# EOF", written atomically to
// --metrics-file (temp file beside it, fsync, rename), so the collector never reads half
// a file. dce-poll --interval and dce-trapd write one each round / --stats-interval.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dce::metrics {

/// A label value with \, " and newline escaped, as the exposition formats require.
std::string escape_label_value(std::string_view v);
/// `text` with every character that may not be in a metric or label name made '_'.
std::string sanitize_name(std::string_view text);

using Labels = std::vector<std::pair<std::string, std::string>>;

/// One exposition: families in the order added, each with its samples.
class Exposition {
  public:
    /// A counter family: `name` must end in "_total" (the sample name is the family name).
    void counter(std::string_view name, std::string_view help, std::uint64_t value,
                 const Labels& labels = {});
    void gauge(std::string_view name, std::string_view help, double value,
               const Labels& labels = {});
    /// The text, ending in "# EOF\n".
    std::string text() const;

  private:
    void add(std::string_view name, std::string_view type, std::string_view help,
             std::string sample_value, const Labels& labels);
    struct Family {
        std::string name, type, help;
        std::vector<std::string> samples;  ///< whole lines
    };
    std::vector<Family> families_;
};

/// Replaces `path` with `text` atomically (mode 0644: the collector runs as another
/// user). False with a message naming the file.
bool write_metrics_file(const std::string& path, const std::string& text, std::string& error);

}  // namespace dce::metrics

#pragma once
// The record contract, version 1 (docs/DESIGN.md). One table of fields per record type
// drives the JSON Schema in schemas/, the man pages' OUTPUT section, and the checks a
// reader applies. Fields are added, never renamed or removed.

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>

namespace dce {

/// Records keep their fields in the order they were set, so a human reading a pipe
/// sees `type`, `ts` and the key first.
using Json = nlohmann::ordered_json;

inline constexpr int record_contract_version = 1;

enum class FieldType { string, integer, number, boolean, object, array, scalar, timestamp };

struct FieldSpec {
    std::string_view name;  ///< dotted for nested objects: "snmp.version"
    FieldType type;
    bool required;
    std::string_view help;
    std::string_view choices = {};  ///< "|"-separated allowed values, empty when free
    /// Integers: the allowed range, inclusive; none when both are 0.
    long long minimum = 0, maximum = 0;
};

struct RecordSpec {
    std::string_view type;
    std::string_view help;
    std::span<const FieldSpec> fields;
};

std::span<const RecordSpec> record_specs();
const RecordSpec* find_record_spec(std::string_view type);

/// A new record of `type` with `ts` set to now.
Json new_record(std::string_view type);

/// JSON Schema (draft 2020-12) for one record type; unknown fields are allowed, since
/// the contract grows by adding fields.
Json record_schema(const RecordSpec& spec);

/// Checks a record against its table: known type, required fields present, types right.
/// Records of a type this build does not know pass (a newer tool may have written them).
bool check_record(const Json& record, std::string& why);

/// The `error` record: one target failing is a value, not the end of the run.
Json make_error_record(std::string_view tool, std::string_view target, std::string_view code,
                       std::string_view message);

enum class Status { pass, fail, warn, error, skip };
enum class Severity { info, low, medium, high, critical };
std::string_view to_string(Status s);
std::string_view to_string(Severity s);

struct Finding {
    std::string tool, check, target;
    Status status = Status::pass;
    Severity severity = Severity::info;
    std::string message;
    Json evidence = Json::object();
    std::string reference;
};
Json to_record(const Finding& f);

}  // namespace dce

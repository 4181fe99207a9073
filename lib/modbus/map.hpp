#pragma once
// Register-map profiles: JSON files in profiles/modbus/NAME.json (docs/PROFILES.md,
// "Modbus register maps"), found in the same data folders as the SNMP device profiles
// plus "/modbus". A map says which registers of a unit hold which metric, and how to
// decode them (types.hpp); which devices it is for (a Read Device Identification
// vendor/product regex); the unit's request limits; and its identity registers.

#include "core/record.hpp"
#include "modbus/frame.hpp"
#include "modbus/types.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dce::modbus {

/// One value a map reads: a metric, or an identity string.
struct Field {
    std::string metric, unit, description;
    Table table = Table::holding;
    std::uint16_t address = 0;
    std::uint16_t count = 1;  ///< registers (bits for coil/discrete); strings say how many
    Decoding decoding;
    std::map<std::string, std::string> labels;

    /// "modbus:hr:130": what `source` of its readings says.
    std::string source() const;
    std::uint32_t end() const { return std::uint32_t{address} + count; }
};

struct RegisterMap {
    std::string name, description, device_class, vendor, path;
    std::string match_vendor, match_product;  ///< regexes over the device identification
    std::uint16_t max_registers = max_read_registers;
    std::uint16_t max_bits = max_read_bits;
    /// Registers to merge across when that saves a request (plan.hpp); per map.
    std::uint16_t max_gap = 16;
    std::map<std::string, Field> identity;  ///< model, serial, firmware
    std::vector<Field> metrics;
};

/// Parses one map; `name` is its file's stem. False with a message naming the field.
bool parse_map(const Json& j, const std::string& name, RegisterMap& m, std::string& error);
bool load_map_file(const std::string& path, RegisterMap& m, std::string& error);

class MapSet {
  public:
    /// Loads every *.json in `dir` (a later map of the same name replaces an earlier one).
    void load_dir(const std::string& dir, std::vector<std::string>& errors);
    void add(RegisterMap m);
    const RegisterMap* find(std::string_view name) const;
    const std::vector<RegisterMap>& all() const { return maps_; }
    /// The first map (by name) whose vendor and product regexes match the device's
    /// identification; a map without match rules never matches.
    const RegisterMap* match(const std::string& vendor, const std::string& product) const;

  private:
    std::vector<RegisterMap> maps_;
};

/// data_dirs("profiles", "DCE_PROFILE_DIR", extra), each + "/modbus".
std::vector<std::string> default_map_dirs(const std::vector<std::string>& extra);
MapSet load_maps(const std::vector<std::string>& extra, std::vector<std::string>& errors);

}  // namespace dce::modbus

#pragma once

#include <string>
#include <vector>

namespace clauster::cli {

/// Prints @p rows (the first is the header) to stdout as the reference CLI
/// does: each column as wide as its widest cell, columns two spaces apart,
/// trailing blanks trimmed.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace clauster::cli

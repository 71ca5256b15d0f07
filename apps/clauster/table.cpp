#include "table.hpp"

#include <algorithm>
#include <iostream>

namespace clauster::cli {

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& r : rows) {
        if (widths.size() < r.size()) widths.resize(r.size(), 0);
        for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
    }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (i > 0) line += "  ";
            line += r[i];
            if (i + 1 < r.size()) line.append(widths[i] - r[i].size(), ' ');
        }
        line.erase(line.find_last_not_of(' ') + 1);
        std::cout << line << '\n';
    }
    std::cout.flush();
}

}  // namespace clauster::cli

#include "app.hpp"

int main(int argc, char** argv) { return clauster::cli::run(argc, argv); }

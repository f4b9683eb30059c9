// Linked with one layer of libbarco taken whole and only the layers it may use (see
// CMakeLists.txt): it exists to fail to link when a layer calls across a forbidden arrow.
int main() {
  return 0;
}

#include <stdio.h>
int main(void) { puts("bpfalert " BPFALERT_VERSION); return 0; }

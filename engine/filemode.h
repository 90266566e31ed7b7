/* filemode — a file's st_mode as `ls -l` writes it ("-rw-r--r--"), as
 * Tetragon's events carry it. */
#ifndef BPFALERT_FILEMODE_H
#define BPFALERT_FILEMODE_H

#include <stdint.h>

/* Writes the type letter, nine permission letters (with s/S/t/T) and a
 * NUL into out. */
void filemode_string(uint32_t mode, char out[11]);

#endif

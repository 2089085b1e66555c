#ifndef CHELPLINESQLITE_H
#define CHELPLINESQLITE_H

#include <sqlite3.h>

/// Turns SQLite's checkpoint when the last connection closes on (1) or off (0).
///
/// `sqlite3_db_config` is variadic, and Swift can't call a variadic C function, so this wraps
/// the one option the library sets. Returns an SQLite result code.
int helpline_sqlite3_checkpoint_on_close(sqlite3 *db, int on);

#endif

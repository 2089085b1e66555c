// The HelplineMigrations target holds the .sql files next to this file; the EmbedMigrations
// plugin turns them into `EmbeddedMigrations.all`. This file exists because a Swift target
// needs at least one source file.

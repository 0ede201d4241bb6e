/*-------------------------------------------------------------------------
 *
 * drop_folder.c
 *	  Moves of the files of a drop folder, done when the transaction that
 *	  stored their events commits.
 *
 * drop_move_at_commit queues a rename(2) of a file into a
 * subdirectory (done or failed) of its folder.  The queue is carried out
 * by a transaction callback after the commit record is written, so a file
 * leaves the folder only once its batch is committed.  A crash between the
 * commit and the rename leaves the file in place, so the next pull reads it
 * again and ingest counts its events as duplicates.  An aborted
 * transaction or subtransaction drops the moves it queued.  A rename that
 * fails after the commit can no longer raise an error, so it is reported
 * with a WARNING and the file is read again by the next pull.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "message_value.h"

PG_FUNCTION_INFO_V1(otan_enbek_drop_move_at_commit);

/* Copies of one file name that done/ or failed/ may keep */
#define MAX_NAME_SUFFIX 999

/* A rename queued until commit */
typedef struct PendingMove
{
	char	   *source;
	char	   *target;
	int			nest_level;		/* subtransaction level that queued it */
} PendingMove;

/* Queued moves of the current transaction, in TopTransactionContext */
static List *pending_moves = NIL;
static bool callbacks_registered = false;

static void
carry_out_moves(void)
{
	ListCell   *cell;

	foreach(cell, pending_moves)
	{
		PendingMove *move = (PendingMove *) lfirst(cell);

		if (rename(move->source, move->target) != 0)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not move file \"%s\" to \"%s\": %m",
							move->source, move->target),
					 errdetail("The events of the file are committed; the file stays in the drop folder."),
					 errhint("The next pull reads the file again and counts its events as duplicates; check the rights on the folder.")));
	}
}

static void
drop_folder_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			carry_out_moves();
			pending_moves = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (pending_moves != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that moves drop folder files"),
						 errhint("Run the pull outside PREPARE TRANSACTION.")));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			pending_moves = NIL;
			break;
		default:
			break;
	}
}

static void
drop_folder_subxact_callback(SubXactEvent event,
							 SubTransactionId subid pg_attribute_unused(),
							 SubTransactionId parent_subid pg_attribute_unused(),
							 void *arg pg_attribute_unused())
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *cell;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(cell, pending_moves)
		{
			PendingMove *move = (PendingMove *) lfirst(cell);

			if (move->nest_level >= level)
				pending_moves = foreach_delete_current(pending_moves, cell);
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(cell, pending_moves)
		{
			PendingMove *move = (PendingMove *) lfirst(cell);

			if (move->nest_level >= level)
				move->nest_level = level - 1;
		}
	}
}

/*
 * drop_move_at_commit(path text, subdirectory text) returns text
 *
 * Queues the move of the file at path into subdirectory of its directory
 * (created with mode 0700 if missing) and returns the new path.  A file of
 * the same name moved there earlier is kept: the new one gets the first
 * free suffix .1, .2 and so on.  NOTE: the suffix is chosen now, so a file
 * that appears in the subdirectory before the commit is replaced.
 */
Datum
otan_enbek_drop_move_at_commit(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *subdirectory = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *slash = strrchr(path, '/');
	char	   *directory;
	char	   *target;
	struct stat st;
	int			suffix;
	MemoryContext old_context;
	PendingMove *move;

	if (slash == NULL || slash[1] == '\0' || !is_absolute_path(path) ||
		strlen(path) + strlen("/failed/.999") >= MAXPGPATH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid drop folder file path \"%s\"",
						message_value(path, strlen(path))),
				 errdetail("The path must be absolute, name a file and be shorter than %d bytes.",
						   (int) (MAXPGPATH - strlen("/failed/.999"))),
				 errhint("Give the absolute path of a file in the drop folder.")));
	if (strcmp(subdirectory, "done") != 0 && strcmp(subdirectory, "failed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid drop folder subdirectory \"%s\"",
						message_value(subdirectory, strlen(subdirectory))),
				 errhint("Use done or failed.")));

	directory = psprintf("%.*s/%s", (int) (slash - path), path, subdirectory);
	target = psprintf("%s/%s", directory, slash + 1);

	if (stat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (mkdir(directory, S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", directory),
				 errhint("Give the server's operating system user the right to write to the drop folder.")));
	/* Keep a file of the same name moved earlier by adding .1, .2 and so on */
	for (suffix = 1; stat(target, &st) == 0; suffix++)
	{
		if (suffix > MAX_NAME_SUFFIX)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_FILE),
					 errmsg("file \"%s\" already exists in \"%s\"", slash + 1,
							directory),
					 errdetail("Files of this name with the suffixes .1 to .%d exist there too.",
							   MAX_NAME_SUFFIX),
					 errhint("Remove the old copies from \"%s\".", directory)));
		target = psprintf("%s/%s.%d", directory, slash + 1, suffix);
	}

	if (!callbacks_registered)
	{
		RegisterXactCallback(drop_folder_xact_callback, NULL);
		RegisterSubXactCallback(drop_folder_subxact_callback, NULL);
		callbacks_registered = true;
	}

	old_context = MemoryContextSwitchTo(TopTransactionContext);
	move = palloc(sizeof(PendingMove));
	move->source = pstrdup(path);
	move->target = pstrdup(target);
	move->nest_level = GetCurrentTransactionNestLevel();
	pending_moves = lappend(pending_moves, move);
	MemoryContextSwitchTo(old_context);

	PG_RETURN_TEXT_P(cstring_to_text(target));
}

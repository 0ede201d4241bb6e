-- Session settings under which bench/run-bench times the reference view.
-- The punches are stored in the order they arrive, which is time order, so
-- reading them by card through the (card, time) index visits the heap at
-- random.  A sequential scan and one sort are cheaper: on the 2,534,721
-- events of the large set, with parallel workers off so that one backend
-- did all the work, the view took 5.1-5.5 s of that backend's CPU time this
-- way and 6.7-8.3 s through the index (three runs each on a shared 2-core
-- machine).  The planner prefers the index, so the index paths are turned
-- off for the session.  With them off it usually sorts in two parallel
-- workers under a Gather Merge.
SET enable_indexscan = off;
SET enable_bitmapscan = off;

-- Session settings under which bench/run-bench times the reference view.
-- The punches are stored in the order they arrive, which is time order, so
-- reading them by card through the (card, time) index visits the heap at
-- random.  A sequential scan and one sort are faster: on the 2,534,721
-- events of the large set the view took about 4.1 s of backend CPU time
-- this way and about 7.9 s through the index (single runs on a shared
-- 2-core machine, so an estimate).  The planner prefers the index, so the
-- index paths are turned off for the session.
SET enable_indexscan = off;
SET enable_bitmapscan = off;

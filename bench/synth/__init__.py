"""Synthetic programmes: N centres over the 22 districts, coaches, ten years of history.

Every centre lives through the programme as the service would have recorded it: admitted
from Interessent, 24 months of Basisbegleitung, Vertiefungsbegleitung years (renewed), some
move on to Konsultationseinrichtung, a few pause and resume, a few withdraw. At each stage
change the *package's own pure planner* (``plan`` and ``reconcile``) decides which rows are
planned, updated or cancelled, so keys, dates, hours and rates are exactly the planner's, and
the guards of the shared Machine's transitions are checked before a change is recorded. Past
sessions are then held (or cancelled) and recorded; site visits are held; trainings of the
catalogue are booked and attended. The outbox holds what the ticks would have sent before
the bench's day: the workflow's reminder rules judged by the core, the service's mails.

Nothing is written through the service here. Chunks of centres are simulated in worker
processes; the parent writes each chunk with bulk Core inserts straight into the tables (the
columns' own SQLAlchemy bind processors, one DBAPI executemany per table), so memory stays
bounded. Ids are dense within a chunk; each chunk has its own block of ids (gaps between
blocks).

- ``tables``: rows encoded for the tables, the loading engine;
- ``calendar``: days and moments; ``records``: a centre's rows while it lives;
- ``quiet``: the days the measured tick looks back on, left quiet;
- ``lives``: one centre's life (stage changes, plans, records);
- ``keeper``: the service's rules reached without a database;
- ``mails``: the outbox; ``stays``: the reminders of a stay (next step, training deadlines);
- ``chunks``: chunks of centres in worker processes; ``generator``: the parent.
"""

from bench.synth.calendar import CachedCalendar
from bench.synth.generator import HistoryGenerator, HistoryReport
from bench.synth.mails import sent_row
from bench.synth.tables import Encoder

__all__ = ["CachedCalendar", "Encoder", "HistoryGenerator", "HistoryReport", "sent_row"]

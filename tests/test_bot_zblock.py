import sys
sys.path.insert(0, "/tmp")
import blocking  # noqa
from tests.test_bot_lag import test_event_loop_lag_stays_low_during_ingest_and_asks, fake  # noqa

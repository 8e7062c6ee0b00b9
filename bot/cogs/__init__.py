"""The bot's cogs, loaded in NewsBot.setup_hook."""

from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog
from bot.cogs.feedback import FeedbackCog
from bot.cogs.feeds import FeedsCog
from bot.cogs.help import HelpCog
from bot.cogs.info import InfoCog
from bot.cogs.scheduler import SchedulerCog
from bot.cogs.trial import TrialCog
from bot.cogs.watch import WatchCog

COGS = (AskCog, InfoCog, HelpCog, FeedsCog, AdminCog, FeedbackCog, SchedulerCog, WatchCog,
        TrialCog)

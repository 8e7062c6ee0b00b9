"""The bot's cogs, loaded in NewsBot.setup_hook."""

from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog
from bot.cogs.feeds import FeedsCog
from bot.cogs.info import InfoCog
from bot.cogs.scheduler import SchedulerCog

COGS = (AskCog, InfoCog, FeedsCog, AdminCog, SchedulerCog)

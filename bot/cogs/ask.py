"""/ask, and questions asked by mentioning the bot: answered in a thread that keeps context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer_cards import answer_preview
from bot.answer_view import Send, send_with_buttons
from bot.choices import chosen_disease, disease_choices
from bot.discord_text import strip_bot_mention
from bot.embeds import embed_text
from bot.errors import NONE, user_message
from bot.permissions import answers_here, ask_cooldown, home_channel_id
from newsbot.answering import answer_question, check_question
from newsbot.errors import NewsbotError
from newsbot.models import Answer

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
HISTORY_MESSAGES = 50  # how far back a thread is read for context (the core picks the turns)
ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)
FOLLOW_UP_HINT = "Ask follow-up questions in this thread; I keep the conversation in mind."
DM_HINT = ("I answer in servers: mention me with a question in a channel, or use /ask there. "
           "(News summary, not medical advice.)")


def thread_name(question: str) -> str:
    name = " ".join(question.split())[:90] or "question"
    return f"Q: {name}"


def turns_from_history(messages: list[discord.Message], bot_id: int,
                       ) -> list[tuple[str, str]]:
    """(question, answer) pairs from a thread's messages, oldest first: each answer of the bot
    (its embeds) paired with the question asked before it (a user message, the thread's
    starter message, or failing both the question in the answer's title)."""
    turns: list[tuple[str, str]] = []
    question: str | None = None
    for message in messages:
        if message.type is discord.MessageType.thread_starter_message:
            starter = message.reference.resolved if message.reference else None
            if isinstance(starter, discord.Message):
                question = strip_bot_mention(starter.content, bot_id) or question
        elif message.author.id == bot_id:
            if not message.embeds:
                continue
            answer = "\n".join(embed_text(e) for e in message.embeds)
            first = message.embeds[0].title or ""
            asked = question or (first[3:] if first.startswith("Q: ") else "")
            if asked:
                turns.append((asked, answer))
            question = None
        elif message.content:
            question = strip_bot_mention(message.content, bot_id)
    return turns


class AskCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def answer(self, question: str, *, disease: str | None = None, days: int | None = None,
                     history: list[tuple[str, str]] | None = None) -> Answer:
        return await self.bot.core(
            answer_question, question, disease=disease, days=days, history=history or None,
            chat_model=self.bot.chat_model, now=self.bot.clock(),
        )

    @app_commands.command(name="ask", description="Ask about immune-reprogramming therapy news")
    @app_commands.describe(question="Your question, e.g. 'What is new in CAR-T for lupus?'",
                           disease="Only news about this disease",
                           days="Only news from the last N days",
                           private="Only you see the question and the answer")
    @app_commands.guild_only()
    @ask_cooldown()
    @answers_here()
    async def ask(self, interaction: discord.Interaction, question: str,
                  disease: str | None = None,
                  days: app_commands.Range[int, 1, 3650] | None = None,
                  private: bool = False) -> None:
        check_question(question, self.bot.settings.answer.max_question_chars)  # before deferring
        disease = chosen_disease(disease)
        settings = await self.bot.guild_settings(interaction.guild_id or 0)
        await interaction.response.defer(thinking=True, ephemeral=private)
        answer = await self.answer(question, disease=disease, days=days)

        async def send(embeds: list[discord.Embed], view: discord.ui.View) -> discord.Message:
            return await interaction.followup.send(embeds=embeds, view=view, ephemeral=private,
                                                   wait=True, allowed_mentions=NONE)

        message = await self.post_answer(send, answer, interaction.guild_id,
                                         interaction.channel_id)
        if settings.ask_threads and not private and isinstance(message, discord.WebhookMessage):
            await self._open_follow_up_thread(interaction, message, question)

    @ask.autocomplete("disease")
    async def ask_disease(self, interaction: discord.Interaction,
                          current: str) -> list[app_commands.Choice[str]]:
        return disease_choices(current)

    async def post_answer(self, send: Send, answer: Answer, guild_id: int | None,
                          channel_id: int | None) -> discord.Message | None:
        card, more = answer_preview(answer)
        return await send_with_buttons(self.bot, send, answer, card, show_more=more,
                                       guild_id=guild_id, channel_id=channel_id)

    async def _open_follow_up_thread(self, interaction: discord.Interaction,
                                     message: discord.WebhookMessage, question: str) -> None:
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):  # already in a thread, or a forum
            return
        try:
            thread = await channel.create_thread(name=thread_name(question), message=message,
                                                 auto_archive_duration=1440)
            await thread.send(FOLLOW_UP_HINT, allowed_mentions=NONE)
        except discord.HTTPException as exc:  # no thread permission: the answer stands alone
            log.warning("could not open a thread for /ask (%s)", exc)

    # ---- mentions and threads ---------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.type not in ANSWERABLE:
            return
        channel = message.channel
        if message.guild is None:  # a direct message: point to where questions are answered
            await self.bot.send_text(channel, DM_HINT)
            return
        own_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        mentioned = any(user.id == me.id for user in message.mentions)
        if not (own_thread or mentioned):
            return
        settings = await self.bot.guild_settings(message.guild.id)
        if not settings.answers_in(home_channel_id(channel)):  # not a channel the bot serves
            return
        try:
            await self.converse(message, strip_bot_mention(message.content, me.id))
        except Exception as exc:  # the channel is public: only the safe, short text
            await self.bot.send_text(channel, user_message(exc))

    async def converse(self, message: discord.Message, question: str) -> None:
        """Answer in the message's thread, or in a new thread started from the message."""
        channel, guild_id = message.channel, message.guild.id if message.guild else None
        try:
            check_question(question, self.bot.settings.answer.max_question_chars)
        except NewsbotError as exc:  # e.g. a bare mention: say what to do, open no thread
            await message.reply(str(exc), mention_author=False, allowed_mentions=NONE)
            return
        wait = self.bot.cooldowns.hit((guild_id, message.author.id),
                                      await self.bot.ask_cooldown(guild_id))
        if wait is not None:
            await message.reply(f"Easy there: you can ask again in {wait:.0f} s.",
                                mention_author=False, allowed_mentions=NONE)
            return
        if isinstance(channel, discord.Thread):
            target: discord.abc.Messageable = channel
            messages = [m async for m in channel.history(limit=HISTORY_MESSAGES, before=message)]
            history = turns_from_history(messages[::-1], self.bot.user.id)
        else:
            target = await self._thread_for(message, question)
            history = []
        try:
            async with target.typing():
                answer = await self.answer(question, history=history)
        except NewsbotError as exc:
            await self.bot.send_text(target, user_message(exc))
            return

        async def send(embeds: list[discord.Embed], view: discord.ui.View) -> discord.Message:
            return await target.send(embeds=embeds, view=view, allowed_mentions=NONE)

        await self.post_answer(send, answer, guild_id, getattr(target, "id", None))

    async def _thread_for(self, message: discord.Message, question: str,
                          ) -> discord.abc.Messageable:
        try:
            return await message.create_thread(name=thread_name(question),
                                               auto_archive_duration=1440)
        except discord.HTTPException as exc:  # no thread permission: answer in the channel
            log.warning("could not open a thread (%s); answering in the channel", exc)
            return message.channel

"""The Slack channel (DESIGN §3): a slack-bolt app in Socket Mode or HTTP mode, the Slack
outbox sender, Block Kit rendering of the engine's replies, the lines modal and App Home.

Entry points: `bot.slack.worker.SlackWorker`, `bot.slack.invite.queue_slack_invite`,
`bot.slack.notify.queue_slack_sent_notification`.
"""

"""Texts for notices the system itself raises (not tied to a use case), in zh-CN and en."""

from workflow.i18n import register

register({
    "notice.dead_letter.title": {"zh-CN": "消息发送失败", "en": "A message could not be delivered"},
    "notice.dead_letter.text": {
        "zh-CN": "一条“{kind}”消息（编号 {failed_id}）多次发送失败，已停止重试：{error}。请检查渠道配置或收件人。",
        "en": "A “{kind}” message (no. {failed_id}) failed repeatedly and will not be retried: {error}. "
              "Please check the channel settings or the recipient.",
    },
})

"""Texts for notices the system itself raises (not tied to a use case), in zh-CN and en."""

from workflow.i18n import register

register({
    "notice.dead_letter.title": {"zh-CN": "消息发送失败", "en": "A message could not be delivered"},
    "notice.dead_letter.text": {
        "zh-CN": "一条“{kind}”消息（编号 {failed_id}）多次发送失败，已停止重试：{error}。请检查渠道配置或收件人。",
        "en": "A “{kind}” message (no. {failed_id}) failed repeatedly and will not be retried: {error}. "
              "Please check the channel settings or the recipient.",
    },
    "notice.dead_request.title": {"zh-CN": "请求处理失败", "en": "A request could not be handled"},
    "notice.dead_request.text": {
        "zh-CN": "一个来自 {channel} 的请求（编号 {failed_id}）多次处理失败，已停止重试：{error}。"
                 "提交人已收到提示；请查看日志。",
        "en": "A {channel} request (no. {failed_id}) failed repeatedly and will not be retried: {error}. "
              "Its sender has been told; please check the logs.",
    },
    "notice.dead_timer.title": {"zh-CN": "定时任务执行失败", "en": "A scheduled step could not be run"},
    "notice.dead_timer.text": {
        "zh-CN": "案件 {case} 的定时任务“{kind}”（编号 {failed_id}）多次执行失败，已停止重试：{error}。请查看日志。",
        "en": "The scheduled step “{kind}” (no. {failed_id}) of case {case} failed repeatedly and will not be "
              "retried: {error}. Please check the logs.",
    },
})

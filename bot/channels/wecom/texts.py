"""What the WeCom channel itself says (prompts, past-tense button labels), in zh-CN and en."""

from __future__ import annotations

from workflow.i18n import register

# What a pressed button reads afterwards ("已同意 · 王芳 11-21 10:02"), per action.
_DONE: dict[str, tuple[str, str]] = {
    "submit": ("已提交人事", "Submitted"),
    "withdraw": ("已撤回", "Withdrawn"),
    "approve": ("已同意", "Approved"),
    "request_changes": ("已退回修改", "Changes requested"),
    "reject": ("已驳回", "Rejected"),
    "schedule": ("已安排面谈", "Talk scheduled"),
    "confirm_attendance": ("已确认出席", "Attendance confirmed"),
    "record_talk": ("已记录面谈", "Talk recorded"),
    "acknowledge": ("已阅", "Read"),
    "sign": ("已签署", "Signed"),
    "dispute": ("已提出异议", "Disputed"),
    "revise": ("已修订", "Revised"),
    "proceed_unilateral": ("已单方解除", "Terminated"),
    "record_notice_served": ("已记录送达", "Notice recorded"),
    "complete_item": ("已完成", "Done"),
    "ask_meeting": ("已申请面谈", "Meeting requested"),
    "confirm_facts": ("已确认事实", "Facts confirmed"),
    "open": ("已选择", "Chosen"),
}

register({
    **{f"wecom.done.{action}": {"zh-CN": zh, "en": en} for action, (zh, en) in _DONE.items()},
    "wecom.done.other": {"zh-CN": "已处理", "en": "Done"},
    "wecom.pressed": {"zh-CN": "{label} · {name} {when}", "en": "{label} · {name} {when}"},
    "wecom.source": {"zh-CN": "离职助手", "en": "Offboarding"},
    "wecom.prompt.title": {"zh-CN": "{action}：{ref}", "en": "{action}: {ref}"},
    "wecom.prompt.input": {
        "zh-CN": "请回复{label}。发送“取消”放弃。",
        "en": "Please reply with: {label}. Send “cancel” to stop.",
    },
    "wecom.prompt.optional": {
        "zh-CN": "回复“确认”继续，或附上{label}；发送“取消”放弃。",
        "en": "Reply “yes” to go ahead, or send {label}; send “cancel” to stop.",
    },
    "wecom.prompt.unkept": {
        "zh-CN": "现在暂时无法在对话里等你回复（临时故障），请直接发送完整命令：{usage}",
        "en": "I can't wait for your reply in this conversation right now (a temporary fault); "
              "send the whole command instead: {usage}",
    },
    "wecom.dialog_unavailable": {
        "zh-CN": "现在暂时接不上之前的对话（临时故障），这条消息没有处理。如果你在回答机器人的提问，"
                 "请发送完整命令，例如 {usage}；发送“帮助”查看全部命令。",
        "en": "I can't pick up our conversation right now (a temporary fault), so this message was "
              "not handled. If you were answering my question, send the whole command instead, "
              "e.g. {usage}; send “help” for all the commands.",
    },
    "wecom.cancelled": {
        "zh-CN": "已取消“{action}”。", "en": "“{action}” cancelled.",
    },
    "wecom.choice.title": {"zh-CN": "请选择员工", "en": "Choose the employee"},
    "wecom.choice_expired": {
        "zh-CN": "这个选择已过期，请重新发送命令。",
        "en": "This choice has expired; please send the command again.",
    },
    "wecom.file_unexpected": {
        "zh-CN": "收到文件，但不知道它属于哪个案件。请在机器人提示“请发送第 N 项”后再发送文件，"
                 "或用文字发送：证据 <案件> <类型> <链接或说明>。",
        "en": "Got a file, but not which case it belongs to. Send it after the bot asks "
              "“Please send item N”, or type: /offboard evidence <case> <kind> <link or text>.",
    },
    "wecom.gave_up": {
        "zh-CN": "出错了，这条消息没有处理，请稍后再发一次。",
        "en": "Something went wrong and your message was not handled; please send it again in a moment.",
    },
    "wecom.unsupported": {
        "zh-CN": "暂不支持这种消息。发送“帮助”查看可用命令。",
        "en": "This kind of message is not supported. Send “help” for the commands.",
    },
    "wecom.media_failed": {
        "zh-CN": "没能从企业微信取回文件（{reason}），请重新发送。",
        "en": "Could not fetch the file from WeCom ({reason}); please send it again.",
    },
})

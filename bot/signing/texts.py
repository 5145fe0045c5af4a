"""The signing page's wording, in zh-CN and en."""

from __future__ import annotations

from workflow.i18n import register

register({
    "page.lang": {"zh-CN": "zh-CN", "en": "en"},
    "page.other_language": {"zh-CN": "English", "en": "中文"},
    "page.heading": {"zh-CN": "请阅读并回复：案件 {ref}", "en": "Please read and answer: case {ref}"},
    "page.for": {"zh-CN": "致 {name}。本链接只供你本人使用。",
                 "en": "For {name}. This link is for you alone."},
    "page.version": {"zh-CN": "文件第 {version} 版 · SHA-256 {sha}",
                     "en": "Documents version {version} · SHA-256 {sha}"},
    "page.download": {"zh-CN": "下载 PDF（{lang}，SHA-256 {sha}）",
                      "en": "Download PDF ({lang}, SHA-256 {sha})"},
    "page.lang.zh-CN": {"zh-CN": "中文", "en": "Chinese"},
    "page.lang.en": {"zh-CN": "英文", "en": "English"},
    "page.step.read": {"zh-CN": "第一步：阅读文件", "en": "Step 1: read the documents"},
    "page.step.answer": {"zh-CN": "第二步：签署或提出异议", "en": "Step 2: sign or dispute"},
    "page.read_label": {"zh-CN": "我已阅读并理解", "en": "I have read and understood"},
    "page.sign": {"zh-CN": "签署", "en": "Sign"},
    "page.sign_note": {
        "zh-CN": "点击“签署”即确认上面的声明。系统会记录你的身份、文件 SHA-256、时间、IP 地址和浏览器，"
                 "并由服务器签名存档。",
        "en": "Pressing Sign confirms the statement above. Your identity, the documents' SHA-256, "
              "the time, your IP address and browser are recorded and sealed by the server.",
    },
    "page.dispute": {"zh-CN": "提出异议", "en": "Dispute"},
    "page.dispute_label": {"zh-CN": "如不同意，请写明理由：",
                           "en": "If you do not agree, say why:"},
    "page.problem": {"zh-CN": "未能提交：{text}", "en": "Not submitted: {text}"},
    "page.contact": {
        "zh-CN": "如有疑问，请在聊天中回复人事部门，或申请再次面谈。",
        "en": "Questions? Reply to HR in chat, or ask for another meeting.",
    },
    # Pages for links that cannot be used (nothing is recorded for them).
    "page.unknown.title": {"zh-CN": "链接无效", "en": "This link is not valid"},
    "page.unknown.text": {
        "zh-CN": "没有找到这个签署链接。请使用聊天卡片中的最新链接。",
        "en": "No such signing link. Use the latest link on your chat card.",
    },
    "page.signed.title": {"zh-CN": "已签署", "en": "Already signed"},
    "page.signed.text": {
        "zh-CN": "案件 {ref} 的文件（第 {version} 版）已于 {when} 签署。无需再次操作。",
        "en": "The documents of case {ref} (version {version}) were signed on {when}. "
              "Nothing more to do here.",
    },
    "page.disputed.title": {"zh-CN": "已提出异议", "en": "Dispute sent"},
    "page.disputed.text": {
        "zh-CN": "你已于 {when} 对案件 {ref} 的文件提出异议，人事部门会与你联系。此链接不能再使用。",
        "en": "You disputed the documents of case {ref} on {when}; HR will contact you. "
              "This link cannot be used again.",
    },
    "page.foreign.title": {"zh-CN": "不是你的链接", "en": "Not your link"},
    "page.foreign.text": {
        "zh-CN": "此链接是发给另一位员工的，不能在此签署。请使用发给你本人的链接。",
        "en": "This link was issued to another employee and cannot be used to sign here. "
              "Use the link sent to you.",
    },
    "page.superseded.title": {"zh-CN": "文件已更新", "en": "The documents have changed"},
    "page.superseded.text": {
        "zh-CN": "此链接对应的是旧版本文件（第 {version} 版）。请使用聊天中最新卡片上的链接。",
        "en": "This link is for an older version of the documents (version {version}). Use the "
              "link on the latest card in chat.",
    },
    "page.expired.title": {"zh-CN": "链接已过期", "en": "This link has expired"},
    "page.expired.text": {
        "zh-CN": "此链接已于 {when} 过期。在聊天中查看案件 {ref}（如“进度 {ref}”）即可获得新链接。",
        "en": "This link expired on {when}. Look up case {ref} in chat (e.g. “status {ref}”) to get "
              "a new link.",
    },
    "page.closed.title": {"zh-CN": "无需回复", "en": "No answer needed"},
    "page.closed.text": {
        "zh-CN": "案件 {ref} 目前不在等待你的回复。",
        "en": "Case {ref} is not waiting for your answer now.",
    },
    "page.csrf.title": {"zh-CN": "表单已失效", "en": "This form has expired"},
    "page.csrf.text": {
        "zh-CN": "为保护你的账户，此次提交未被接受，也没有记录任何内容。请重新打开签署链接后再试。",
        "en": "To protect you this submission was not accepted and nothing was recorded. Open "
              "the signing link again and retry.",
    },
    "page.preview.title": {"zh-CN": "签署链接", "en": "Signing link"},
    "page.preview.text": {
        "zh-CN": "请在手机或电脑上打开此链接，阅读文件后签署或提出异议。",
        "en": "Open this link on your phone or computer to read the documents, then sign or "
              "dispute.",
    },
})
